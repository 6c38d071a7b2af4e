package dev.syncline.server.storage.sqlite;

import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.BucketStorageContractTest;
import dev.syncline.server.storage.StorageException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SqliteBucketStorageTest extends BucketStorageContractTest {
    @Override
    protected BucketStorage openStorage(Path dir) {
        return SqliteBucketStorage.open(dir.resolve("data").resolve("syncline.db"));
    }

    @Override
    protected boolean tracksChanges() {
        return true;
    }

    @Test
    void usesWalAndRefusesAFileFromANewerVersion() throws Exception {
        open().close();
        Path file = dir.resolve("data").resolve("syncline.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                assertThat(rs.getString(1)).isEqualTo("wal");
            }
            s.execute("PRAGMA user_version = 99");
        }
        assertThatThrownBy(this::open).isInstanceOf(StorageException.class).hasMessageContaining("schema version 99");
    }

    @Test
    void reportsDiskUsage() {
        assertThat(open().diskBytes()).isPositive();
    }
}
