package dev.syncline.server.errors;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.server.auth.AuthErrorCode;
import dev.syncline.server.source.postgres.CaptureError;
import dev.syncline.server.upload.UploadErrorCode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/errors.md is the one catalogue: every code of every family enum has its row there, no two
 * families share a code, and no code is written as a string literal outside the enums (where it
 * would escape the catalogue).
 */
class ErrorCatalogueTest {
    private static final Pattern CODE_LITERAL = Pattern.compile("\"\\[?((?:P?SYNC|SHAPE)_[A-Z]\\d{4})");
    /** The enums that define codes; a literal code anywhere else is an error. */
    private static final Set<String> DEFINING_FILES = Set.of("ServerError.java", "CaptureError.java",
            "UploadErrorCode.java", "AuthErrorCode.java", "ShapeErrorCode.java");

    private static Path repo() {
        return Files.exists(Path.of("..", "docs", "errors.md")) ? Path.of("..") : Path.of(".");
    }

    static List<String> allCodes() {
        List<String> codes = new ArrayList<>();
        Arrays.stream(ServerError.values()).map(ServerError::code).forEach(codes::add);
        Arrays.stream(CaptureError.values()).map(CaptureError::code).forEach(codes::add);
        Arrays.stream(UploadErrorCode.values()).map(Enum::name).forEach(codes::add);
        Arrays.stream(AuthErrorCode.values()).map(Enum::name).forEach(codes::add);
        Arrays.stream(dev.syncline.server.shape.ShapeErrorCode.values()).map(Enum::name).forEach(codes::add);
        Arrays.stream(RuleErrorCode.values()).map(RuleErrorCode::code).forEach(codes::add);
        return codes;
    }

    @Test
    void everyCodeHasItsRowOnTheErrorsPage() throws IOException {
        String page = Files.readString(repo().resolve("docs/errors.md"));
        for (String code : allCodes()) {
            assertThat(page).as(code).contains("| `" + code + "` |");
        }
    }

    @Test
    void noTwoFamiliesShareACode() {
        List<String> codes = allCodes();
        assertThat(codes).doesNotHaveDuplicates();
    }

    @Test
    void noCodeIsALiteralOutsideTheCatalogueEnums() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(repo().resolve("server/src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (DEFINING_FILES.contains(file.getFileName().toString())) {
                    continue;
                }
                Matcher m = CODE_LITERAL.matcher(Files.readString(file));
                while (m.find()) {
                    found.add(file.getFileName() + ": " + m.group(1));
                }
            }
        }
        assertThat(found).as("codes written as literals instead of ServerError/CaptureError/UploadErrorCode/AuthErrorCode/ShapeErrorCode")
                .isEmpty();
    }

    @Test
    void theLiteralScanFindsCodes() {
        // the scan above would pass vacuously if its pattern matched nothing
        assertThat(CODE_LITERAL.matcher("throw new X(\"SYNC_R1001\", 400)").find()).isTrue();
        assertThat(CODE_LITERAL.matcher("fail(\"[SYNC_W1003] SETUP sent twice\")").find()).isTrue();
        assertThat(CODE_LITERAL.matcher("badRequest(\"SHAPE_R2003\", m)").find()).isTrue();
        assertThat(allCodes().stream().collect(Collectors.toSet())).contains("SYNC_R1001", "R1001", "PSYNC_S2101");
    }
}
