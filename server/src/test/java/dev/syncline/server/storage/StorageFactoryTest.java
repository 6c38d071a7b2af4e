package dev.syncline.server.storage;

import dev.syncline.server.config.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StorageFactoryTest {
    @TempDir
    Path dir;

    @Test
    void opensTheConfiguredSqliteFile() {
        Path file = dir.resolve("data").resolve("syncline.db");
        try (BucketStorage storage = StorageFactory.open(new StorageConfig("sqlite", file))) {
            assertThat(storage.checkpoints().latest()).isEmpty();
            assertThat(storage.diskBytes()).isPositive();
        }
        assertThat(file).exists();
        assertThat(StorageFactory.describe(new StorageConfig("sqlite", file))).isEqualTo("sqlite " + file);
    }

    @Test
    void anUnknownTypeNamesTheSupportedOnes() {
        assertThatThrownBy(() -> StorageFactory.open(new StorageConfig("mongodb", dir.resolve("x.db"))))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("storage.type `mongodb`").hasMessageContaining("supported: sqlite");
        assertThat(dir.resolve("x.db")).doesNotExist();
    }
}
