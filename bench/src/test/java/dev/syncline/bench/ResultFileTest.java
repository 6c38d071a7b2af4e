package dev.syncline.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ResultFileTest {
    @Test
    void everyRunGetsItsOwnFileHeadedByItsCommandAndLoad(@TempDir Path dir) throws Exception {
        Path first = ResultFile.write(dir, "browser-sync-100000", "| a |\n");
        Path second = ResultFile.write(dir, "browser-sync-100000", "| b |\n");

        assertThat(second).isNotEqualTo(first);
        assertThat(first.getFileName().toString()).matches("browser-sync-100000-\\d{4}-\\d\\d-\\d\\dT\\d{6}Z(-\\d+)?\\.md");
        assertThat(Files.readString(first)).contains("load at the end").endsWith("| a |\n");
        assertThat(Files.readString(second)).endsWith("| b |\n");
    }
}
