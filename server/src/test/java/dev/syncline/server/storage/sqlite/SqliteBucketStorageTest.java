package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpId;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.BucketStorageContractTest;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.OpRange;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.WriteTransaction;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

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
    void refusesAFileWithOneRowPerOpAndSaysWhatToDo() throws Exception {
        open().close();
        Path file = dir.resolve("data").resolve("syncline.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 1");
        }
        assertThatThrownBy(this::open).isInstanceOf(StorageException.class)
                .hasMessageContaining("schema version 1").hasMessageContaining("delete the storage file");
    }

    /** A file of schema version 2 (write checkpoints elsewhere) gets their table and keeps its data. */
    @Test
    void aVersion2FileGainsTheWriteCheckpointTableAndKeepsItsBuckets() throws Exception {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
            tx.commit(new CommitPosition(10), true);
        }
        s.close();
        Path file = dir.resolve("data").resolve("syncline.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("DROP TABLE write_checkpoints");   // what version 2 lacked
            st.execute("ALTER TABLE state DROP COLUMN acked_lsn");
            st.execute("PRAGMA user_version = 2");
        }
        BucketStorage reopened = open();
        reopened.writeCheckpoints().record("alice", "c1", 1, new CommitPosition(10));
        assertThat(reopened.writeCheckpoints().reached("alice", "c1", new CommitPosition(10))).contains(1L);
        try (ReadView v = reopened.reader().open()) {
            assertThat(v.checkpoint().orElseThrow().position()).isEqualTo(new CommitPosition(10));
            assertThat(v.ops("a[]", OpId.ZERO, new OpId(Long.MAX_VALUE), 10)).hasSize(1);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA user_version")) {
            assertThat(rs.getInt(1)).isEqualTo(3);
        }
    }

    /** Data directories from before keep their write checkpoints: the standalone file is imported once, then renamed. */
    @Test
    void writeCheckpointsOfTheOldStandaloneFileAreImportedAndTheFileSetAside() throws Exception {
        Path legacy = dir.resolve("data").resolve("syncline.db.write-checkpoints");
        java.nio.file.Files.createDirectories(legacy.getParent());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + legacy); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode = WAL");
            st.execute("CREATE TABLE IF NOT EXISTS write_checkpoints (user_id TEXT NOT NULL, client_id TEXT NOT NULL, "
                    + "value INTEGER NOT NULL, lsn INTEGER NOT NULL, PRIMARY KEY (user_id, client_id, value)) WITHOUT ROWID");
            st.execute("INSERT INTO write_checkpoints VALUES ('alice', 'c1', 3, 300), ('alice', 'c1', 4, 400)");
        }
        BucketStorage s = open();
        assertThat(s.writeCheckpoints().latest("alice", "c1")).isEqualTo(4);
        assertThat(s.writeCheckpoints().reached("alice", "c1", new CommitPosition(350))).contains(3L);
        assertThat(legacy).doesNotExist();
        assertThat(legacy.resolveSibling("syncline.db.write-checkpoints.imported")).exists();
        s.close();
        BucketStorage reopened = open();
        assertThat(reopened.writeCheckpoints().reached("alice", "c1", new CommitPosition(400))).contains(4L);
    }

    /**
     * Ops of one bucket land in few segment rows (split at the size bound), and every read — a
     * client resuming after any op id, any page size, any range — sees exactly the op-by-op log.
     */
    @Test
    void readsInsideAndAcrossSegmentsMatchTheOpByOpLog() throws Exception {
        BucketStorage s = open();
        Random random = new Random(11);
        List<BucketOp> log = new ArrayList<>();
        String big = "x".repeat(20_000);
        for (int t = 0; t < 4; t++) {
            try (WriteTransaction tx = s.writer().begin()) {
                int n = t == 2 ? 40 : 30; // transaction 2: 40 ops of ~20 KB, more than one segment
                for (int i = 0; i < n; i++) {
                    String id = Integer.toString(random.nextInt(10));
                    String other = "o" + random.nextInt(3) + "[]";
                    tx.put(new Placement(other, "t", id), "k" + id, "{}"); // interleaved with another bucket's ops
                    if (random.nextInt(4) == 0) {
                        OpId op = tx.remove(new Placement("a[]", "t", id), "k" + id);
                        log.add(new BucketOp.Remove(op, "t", id, "k" + id, OpChecksum.remove("k" + id)));
                    } else {
                        String data = t == 2 ? "{\"v\":\"" + big + i + "\"}" : "{\"v\":" + i + "}";
                        OpId op = tx.put(new Placement("a[]", "t", id), "k" + id, data);
                        log.add(new BucketOp.Put(op, "t", id, "k" + id, data, OpChecksum.put("t", id, data)));
                    }
                }
                tx.commit(new CommitPosition(t + 1), true);
            }
        }
        Path file = dir.resolve("data").resolve("syncline.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*), max(length(ops)) FROM op_segments s "
                     + "JOIN buckets b ON b.id = s.bucket_id WHERE b.name = 'a[]'")) {
            assertThat(rs.getInt(1)).as("segments: one per transaction, the big one split").isBetween(5, 8);
            assertThat(rs.getInt(2)).isLessThan(OpSegmentBuffer.SEGMENT_BYTES + 25_000);
        }
        List<OpId> cuts = new ArrayList<>(log.stream().map(BucketOp::opId).toList());
        cuts.add(OpId.ZERO);
        cuts.add(new OpId(log.getLast().opId().value() + 1_000));
        try (ReadView v = s.reader().open()) {
            for (OpId after : cuts) {
                for (OpId upTo : cuts) {
                    List<BucketOp> expected = log.stream()
                            .filter(o -> o.opId().isAfter(after) && !o.opId().isAfter(upTo)).toList();
                    assertThat(v.opRange("a[]", after, upTo)).as("range after %s up to %s", after, upTo)
                            .isEqualTo(new OpRange(sum(expected), expected.size(),
                                    expected.isEmpty() ? 0 : expected.getLast().opId().value(), false));
                }
                List<BucketOp> upToIt = log.stream().filter(o -> !o.opId().isAfter(after)).toList();
                long total = v.checksum("a[]").checksum();
                assertThat(v.stateAt("a[]", after)).as("state at %s", after).isEqualTo(new OpRange(sum(upToIt),
                        upToIt.size(), upToIt.isEmpty() ? 0 : upToIt.getLast().opId().value(), false));
                assertThat(total).isEqualTo(sum(log));
                List<BucketOp> rest = log.stream().filter(o -> o.opId().isAfter(after)).toList();
                for (int limit : List.of(1, 7, 1_000)) {
                    assertThat(v.ops("a[]", after, new OpId(Long.MAX_VALUE), limit)).as("after %s, %d", after, limit)
                            .isEqualTo(rest.subList(0, Math.min(limit, rest.size())));
                }
            }
        }
    }

    private static long sum(List<BucketOp> ops) {
        return ops.stream().mapToLong(BucketOp::checksum).sum() & 0xFFFF_FFFFL;
    }

    @Test
    void reportsDiskUsage() {
        assertThat(open().diskBytes()).isPositive();
    }
}
