package dev.syncline.server.storage.sqlite;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.WriteTransaction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acknowledged position that {@code SlotGuard} relies on: stored with the commit, never moving
 * back, gone with a rollback, and unknown (not zero) in an upgraded file.
 */
class AcknowledgedPositionTest {
    @TempDir
    Path dir;

    @Test
    void theAcknowledgedPositionIsStoredWithItsCommitAndNeverMovesBack() {
        try (SqliteBucketStorage storage = SqliteBucketStorage.open(dir.resolve("s.db"))) {
            assertThat(storage.writer().loadState().acknowledged()).as("a new file acknowledged nothing").isEqualTo(CommitPosition.ZERO);
            try (WriteTransaction t = storage.writer().begin()) {
                t.acknowledged(new CommitPosition(100));
                t.commit(null, false);
            }
            try (WriteTransaction t = storage.writer().begin()) {
                t.acknowledged(new CommitPosition(50));
                t.commit(new CommitPosition(40), false);
            }
            try (WriteTransaction t = storage.writer().begin()) {
                t.acknowledged(new CommitPosition(900));   // rolled back
            }
            assertThat(storage.writer().loadState().acknowledged()).isEqualTo(new CommitPosition(100));
        }
        try (SqliteBucketStorage reopened = SqliteBucketStorage.open(dir.resolve("s.db"))) {
            assertThat(reopened.writer().loadState().acknowledged()).isEqualTo(new CommitPosition(100));
        }
    }

    @Test
    void aVersionTwoFileIsUpgradedWithAnUnknownPosition() throws Exception {
        Path file = dir.resolve("v2.db");
        SqliteBucketStorage.open(file).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE state DROP COLUMN acked_lsn");
            s.execute("DROP TABLE write_checkpoints");
            s.execute("PRAGMA user_version = 2");
        }
        try (SqliteBucketStorage storage = SqliteBucketStorage.open(file)) {
            assertThat(storage.writer().loadState().acknowledged()).as("not known").isNull();
            try (WriteTransaction t = storage.writer().begin()) {
                t.acknowledged(new CommitPosition(5));
                t.commit(null, false);
            }
            assertThat(storage.writer().loadState().acknowledged()).isEqualTo(new CommitPosition(5));
        }
    }
}
