package dev.syncline.server.sync;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.sqlite.SqliteWriteCheckpointStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SqliteWriteCheckpointStoreTest extends WriteCheckpointStoreContract {
    @TempDir
    Path dir;
    final List<SqliteWriteCheckpointStore> opened = new ArrayList<>();

    @Override
    WriteCheckpointStore store() {
        SqliteWriteCheckpointStore s = SqliteWriteCheckpointStore.open(dir.resolve("wc.db"));
        opened.add(s);
        return s;
    }

    @AfterEach
    void close() {
        opened.forEach(SqliteWriteCheckpointStore::close);
    }

    @Test
    void mappingsSurviveARestart() {
        store().record("alice", "c1", 3, new CommitPosition(300));
        opened.getFirst().close();
        opened.clear();
        assertThat(store().reached("alice", "c1", new CommitPosition(300))).contains(3L);
    }
}
