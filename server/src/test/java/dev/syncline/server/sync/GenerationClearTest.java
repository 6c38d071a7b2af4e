package dev.syncline.server.sync;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.rules.SyncRules;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A storage generation built after another one (ops above a base op id) resets each bucket of a
 * client that still holds the earlier generation's ops with a CLEAR first, so the client ends with
 * exactly this generation's ops and checksum; clients already on it read on normally.
 */
class GenerationClearTest {
    static final long BASE = 1L << 32;
    static final String RULES = """
            bucket_definitions:
              global:
                data:
                  - SELECT * FROM todos
            """;

    @TempDir
    Path dir;
    BucketStorage storage;
    StorageSyncBackend backend;

    @BeforeEach
    void open() {
        storage = SqliteBucketStorage.open(dir.resolve("gen1.db"));
        try (WriteTransaction tx = storage.writer().begin()) {
            tx.reserveOpIdsThrough(new OpId(BASE));
            tx.put(new Placement("global[]", "todos", "t1"), "k1", "{\"id\":\"t1\"}");
            tx.put(new Placement("global[]", "todos", "t2"), "k2", "{\"id\":\"t2\"}");
            tx.commit(new CommitPosition(100), true);
        }
        SourcePosition source = new SourcePosition() {
            @Override public CommitPosition current() { return new CommitPosition(100); }
            @Override public void emitMarker(String content) { }
        };
        backend = new StorageSyncBackend(storage, SyncRules.compile(RULES),
                new WriteCheckpoints(new InMemoryWriteCheckpointStore(), source), new GenerationFeed(), new OpId(BASE));
    }

    @AfterEach
    void close() throws Exception {
        backend.close();
        storage.close();
    }

    @Test
    void aClientOfAnEarlierGenerationGetsAClearFirst() {
        List<OplogEntry> ops = backend.data().ops("global[]", 123, BASE + 2, 100);
        assertThat(ops).extracting(OplogEntry::op).containsExactly(OplogEntry.Op.CLEAR, OplogEntry.Op.PUT, OplogEntry.Op.PUT);
        assertThat(ops.getFirst().opId()).isEqualTo(BASE);
        assertThat(ops.getFirst().checksum()).isZero();
        assertThat(ops).extracting(OplogEntry::opId).containsExactly(BASE, BASE + 1, BASE + 2);
        try (BucketDataSource.Reader reader = backend.data().reader()) {
            assertThat(reader.ops("global[]", 0, BASE + 2, 1)).extracting(OplogEntry::op)
                    .containsExactly(OplogEntry.Op.CLEAR);
            assertThat(reader.ops("global[]", BASE, BASE + 2, 100)).extracting(OplogEntry::opId)
                    .containsExactly(BASE + 1, BASE + 2);
        }
    }

    @Test
    void aClientOfThisGenerationReadsOnWithoutAClear() {
        assertThat(backend.data().ops("global[]", BASE + 1, BASE + 2, 100)).extracting(OplogEntry::opId)
                .containsExactly(BASE + 2);
    }

    @Test
    void evenAnEmptyBucketIsResetForAClientOfAnEarlierGeneration() {
        ConnectionCheckpoint checkpoint = backend.scope(new AuthenticatedUser("u", "{\"sub\":\"u\"}", java.time.Instant.now().plusSeconds(3600)),
                StreamingSyncRequest.parse("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8))).current();
        assertThat(checkpoint.opId()).isEqualTo(BASE + 2);
        assertThat(checkpoint.states().get("global[]").lastOpId()).isEqualTo(BASE + 2);
        assertThat(backend.data().ops("empty[]", 5, BASE + 2, 100)).extracting(OplogEntry::op)
                .containsExactly(OplogEntry.Op.CLEAR);
    }
}
