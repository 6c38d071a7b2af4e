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

    /**
     * Compacting one large bucket takes many short transactions: between them the lock is free
     * (a connection that does not wait gets it) and the storage writer commits, into the same
     * bucket, while the compaction goes on; what clients end up with and the checksum stay right.
     */
    @Test
    void compactingALargeBucketLetsTheWriterCommitBetweenShortTransactions() throws Exception {
        BucketStorage s = open();
        Path file = dir.resolve("data").resolve("syncline.db");
        List<BucketOp> original = new ArrayList<>();
        long lsn = 0;
        for (int t = 0; t < 40; t++) {   // 40 segments of 50 ops, 20 rows overwritten again and again
            try (WriteTransaction tx = s.writer().begin()) {
                for (int i = 0; i < 50; i++) {
                    String id = Integer.toString(i % 20);
                    String data = "{\"v\":" + t + "}";
                    OpId op = tx.put(new Placement("big[]", "t", id), "k", data);
                    original.add(new BucketOp.Put(op, "t", id, "k", data, OpChecksum.put("t", id, data)));
                }
                tx.commit(new CommitPosition(++lsn), true);
            }
        }
        long[] position = {lsn};
        List<String> interleaved = new ArrayList<>();
        Runnable writerCommits = () -> {
            try (Connection probe = DriverManager.getConnection("jdbc:sqlite:" + file);
                 Statement st = probe.createStatement()) {
                st.execute("PRAGMA busy_timeout = 0");   // fails at once if compaction still held the lock
                st.execute("BEGIN IMMEDIATE");
                st.execute("ROLLBACK");
            } catch (java.sql.SQLException e) {
                throw new AssertionError("write lock held between compaction transactions: " + e.getMessage(), e);
            }
            try (WriteTransaction tx = s.writer().begin()) {
                String data = "{\"w\":" + interleaved.size() + "}";
                OpId op = tx.put(new Placement("big[]", "t", "w"), "k", data);
                original.add(new BucketOp.Put(op, "t", "w", "k", data, OpChecksum.put("t", "w", data)));
                tx.commit(new CommitPosition(++position[0]), true);
            }
            interleaved.add("commit " + position[0]);
        };
        SqliteCompactor compactor = new SqliteCompactor(() -> {
            try {
                return DriverManager.getConnection("jdbc:sqlite:" + file);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }, 100, writerCommits);

        var result = compactor.compact("big[]");

        assertThat(interleaved).as("writer commits between the compaction's transactions of one bucket")
                .hasSizeGreaterThanOrEqualTo(20);
        assertThat(result.movedOps()).as("1,980 superseded of the 2,000 ops compacted").isEqualTo(1980);
        assertThat(compactor.compact("big[]").movedOps()).as("the writer's own superseded ops, now below the checkpoint")
                .isPositive();
        dev.syncline.server.storage.ReducedBucket expected = dev.syncline.server.storage.ReducedBucket.of(original);
        List<BucketOp> compacted;
        try (ReadView v = s.reader().open()) {
            compacted = v.ops("big[]", OpId.ZERO, new OpId(Long.MAX_VALUE), Integer.MAX_VALUE);
            assertThat(v.checksum("big[]").checksum()).isEqualTo(expected.checksum);
        }
        assertThat(dev.syncline.server.storage.ReducedBucket.of(compacted).rows).isEqualTo(expected.rows);
        assertThat(compacted.getFirst().type()).as("the PUT-free prefix folded into one CLEAR")
                .isEqualTo(dev.syncline.protocol.OpType.CLEAR);
        assertThat(compacted.size()).as("far fewer ops than written").isLessThan(original.size() / 10);
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
            st.execute("DROP TABLE source_xids");   // added by version 4
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
            assertThat(rs.getInt(1)).isEqualTo(SqliteSchema.VERSION);
        }
    }

    /** A file of schema version 3 (no source xids) gains their table, keeps its ops and records xids from then on. */
    @Test
    void aVersion3FileGainsTheSourceXidTableAndKeepsItsBuckets() throws Exception {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
            tx.commit(new CommitPosition(10), true);
        }
        s.close();
        Path file = dir.resolve("data").resolve("syncline.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("DROP TABLE source_xids");   // what version 3 lacked
            st.execute("PRAGMA user_version = 3");
        }
        BucketStorage reopened = open();
        OpId added;
        try (WriteTransaction tx = reopened.writer().begin()) {
            added = tx.put(new Placement("a[]", "t", "2"), "k2", "{}");
            tx.sourceTransaction(42);
            tx.commit(new CommitPosition(20), true);
        }
        try (ReadView v = reopened.reader().open()) {
            assertThat(v.ops("a[]", OpId.ZERO, new OpId(Long.MAX_VALUE), 10)).hasSize(2);
            assertThat(v.sourceXids(OpId.ZERO, new OpId(Long.MAX_VALUE)))
                    .containsExactly(new dev.syncline.server.storage.SourceXid(added.value(), added.value(), 42));
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA user_version")) {
            assertThat(rs.getInt(1)).isEqualTo(4);
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
