package dev.syncline.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every rule file under {@code src/test/resources/corpus/}: {@code NAME.yaml} must validate to
 * exactly the lines in {@code NAME.expected} ({@code OK} when clean), and files named {@code ok_*}
 * must compile. Run with {@code -Dcorpus.update=true} to rewrite the expected files after a
 * deliberate message change — then review the diff.
 */
class RulesCorpusTest {

    static final Path CORPUS = Path.of("src/test/resources/corpus");

    static Stream<String> cases() throws IOException {
        try (Stream<Path> files = Files.list(CORPUS)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void validatesAsExpected(String name) throws IOException {
        String yaml = Files.readString(CORPUS.resolve(name + ".yaml"), StandardCharsets.UTF_8);
        List<RuleError> problems = SyncRules.validate(yaml);
        String actual = problems.isEmpty() ? "OK\n"
                : problems.stream().map(RuleError::toString).collect(Collectors.joining("\n", "", "\n"));
        Path expectedFile = CORPUS.resolve(name + ".expected");
        if (Boolean.getBoolean("corpus.update")) {
            Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).as(name).isEqualTo(Files.readString(expectedFile, StandardCharsets.UTF_8));
        boolean hasErrors = problems.stream().anyMatch(RuleError::isError);
        assertThat(hasErrors).as("%s: files named ok_* must compile, err_* must not", name).isEqualTo(name.startsWith("err_"));
        if (!hasErrors) {
            SyncRules.compile(yaml); // must not throw
        }
    }
}
