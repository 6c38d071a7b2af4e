package dev.syncline.server.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.protocol.sync.SyncLineParser;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the golden line sequences that the web SDK's tests also run ({@code clients/web/test/golden.test.ts})
 * through {@link ProtocolClientModel}, so the Java reference model and the TypeScript client agree on the
 * rows each bucket holds. Steps other than sync lines (local writes, uploads) concern only the client's
 * app tables and are skipped here; a checksum mismatch is handled as a client does: the bucket is dropped
 * and the sequence goes on with the next connection.
 */
class GoldenSequencesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Path GOLDEN = Path.of("protocol", "src", "test", "resources", "sync-golden");
    private static final String MISMATCH = "checksum mismatch in ";

    @TestFactory
    Stream<DynamicTest> everyFixture() throws IOException {
        Path dir = goldenDir();
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).as("golden fixtures in " + dir).hasSizeGreaterThanOrEqualTo(6);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> run(JSON.readTree(f.toFile()))));
    }

    private static Path goldenDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(GOLDEN))) {
                return p.resolve(GOLDEN);
            }
        }
        throw new AssertionError("no " + GOLDEN + " above " + Path.of("").toAbsolutePath());
    }

    private static void run(JsonNode fixture) {
        ProtocolClientModel model = new ProtocolClientModel();
        List<String> mismatches = new ArrayList<>();
        int i = 0;
        for (JsonNode step : fixture.path("steps")) {
            if (step.has("line")) {
                try {
                    model.accept(SyncLineParser.ndjson(step.get("line").toString()));
                } catch (AssertionError e) {
                    if (e.getMessage() == null || !e.getMessage().startsWith(MISMATCH)) {
                        throw e;
                    }
                    String bucket = e.getMessage().substring(MISMATCH.length(), e.getMessage().indexOf(':'));
                    mismatches.add(bucket);
                    model.rows.remove(bucket);
                    model.checksums.remove(bucket);
                    model.after.remove(bucket);
                }
            } else if (step.has("expect")) {
                check(model, mismatches, step.get("expect"), "step " + i);
            }
            i++;
        }
        check(model, mismatches, fixture.path("expect"), "end");
    }

    private static void check(ProtocolClientModel model, List<String> mismatches, JsonNode expect, String where) {
        if (expect.has("rows")) {
            Map<String, Map<String, String>> expected = new TreeMap<>();
            expect.get("rows").properties().forEach(b -> {
                Map<String, String> rows = new TreeMap<>();
                b.getValue().properties().forEach(r -> rows.put(r.getKey(), r.getValue().asText()));
                expected.put(b.getKey(), rows);
            });
            Map<String, Map<String, String>> actual = new TreeMap<>();
            // The model keeps a bucket whose rows were all removed as an empty map; the fixtures list only non-empty buckets.
            model.rows.forEach((b, rows) -> {
                if (!rows.isEmpty()) {
                    actual.put(b, new TreeMap<>(rows));
                }
            });
            assertThat(actual).as(where + ": rows per bucket").isEqualTo(expected);
        }
        if (expect.has("write_checkpoint")) {
            assertThat(model.writeCheckpoint).as(where + ": write checkpoint")
                    .isEqualTo(Long.parseLong(expect.get("write_checkpoint").asText()));
        }
        if (expect.has("checksum_mismatch")) {
            List<String> expected = new ArrayList<>();
            expect.get("checksum_mismatch").forEach(b -> expected.add(b.asText()));
            assertThat(mismatches).as(where + ": buckets that failed their checksum").isEqualTo(expected);
        }
    }
}
