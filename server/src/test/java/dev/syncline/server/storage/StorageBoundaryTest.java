package dev.syncline.server.storage;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Storage is source-neutral (issue 15): a second backend or a second source must not inherit
 * PostgreSQL capture types through the storage interfaces. The source adapter converts at the edge.
 */
class StorageBoundaryTest {
    private static final Path STORAGE = Path.of("src/main/java/dev/syncline/server/storage");

    @Test
    void storageImportsNoSourceTypes() throws IOException {
        List<String> offenders;
        try (Stream<Path> files = Files.walk(STORAGE)) {
            offenders = files.filter(p -> p.toString().endsWith(".java")).filter(p -> {
                try {
                    return Files.readString(p).contains("dev.syncline.server.source.");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(p -> STORAGE.relativize(p).toString()).toList();
        }
        assertThat(offenders).as("storage files referring to dev.syncline.server.source.*").isEmpty();
    }

    @Test
    void commitPositionsCompareUnsigned() {
        CommitPosition low = new CommitPosition(1);
        CommitPosition high = new CommitPosition(-1);    // 2^64 - 1
        assertThat(high.isAfter(low)).isTrue();
        assertThat(low.isAtOrBefore(high)).isTrue();
        assertThat(CommitPosition.max(low, high)).isEqualTo(high);
        assertThat(high).hasToString("18446744073709551615");
    }
}
