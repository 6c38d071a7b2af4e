package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpId;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.ReducedBucket;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.storage.WriterFence;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * PostgreSQL compaction in short transactions: the writer commits between them however large the
 * bucket, a compaction that dies between two of them leaves a consistent log that the next run
 * finishes, every state in between is one a client can sync from, and small segments are merged.
 */
class PostgresCompactionInChunksIT {
    private static final OpId ALL = new OpId(Long.MAX_VALUE);
    private static final String STATE_LOCK = "%FROM state WHERE id = 1 FOR UPDATE%";
    private static PostgresTestServer server;
    private static TestDatabase db;

    @BeforeAll
    static void startServer() {
        server = PostgresTestServer.start();
        db = server.createDatabase();
    }

    @AfterAll
    static void stopServer() {
        db.close();
        server.close();
    }

    private static Properties login() {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        return p;
    }

    private static PostgresBucketStorage open(String schema) {
        return PostgresBucketStorage.open(db.jdbcUrl(), login(), schema, WriterFence.NONE);
    }

    /**
     * {@code transactions} commits of {@code opsEach} ops to {@code bucket} over {@code rows} rows
     * (a REMOVE now and then): most ops are superseded. Returns the log as written.
     */
    private static List<BucketOp> fill(PostgresBucketStorage s, String bucket, int transactions, int opsEach, int rows,
                                       long firstPosition) {
        Random random = new Random(bucket.hashCode());
        List<BucketOp> log = new ArrayList<>();
        for (int t = 0; t < transactions; t++) {
            try (WriteTransaction tx = s.writer().begin()) {
                for (int i = 0; i < opsEach; i++) {
                    String id = Integer.toString(random.nextInt(rows));
                    Placement p = new Placement(bucket, "t", id);
                    if (random.nextInt(10) == 0) {
                        OpId op = tx.remove(p, "");
                        log.add(new BucketOp.Remove(op, "t", id, "", OpChecksum.remove("")));
                    } else {
                        String data = "{\"t\":" + t + ",\"i\":" + i + "}";
                        OpId op = tx.put(p, "", data);
                        log.add(new BucketOp.Put(op, "t", id, "", data, OpChecksum.put("t", id, data)));
                    }
                }
                tx.commit(new CommitPosition(firstPosition + t), true);
            }
        }
        return log;
    }

    private static List<BucketOp> ops(PostgresBucketStorage s, String bucket) {
        try (var view = s.reader().open()) {
            return view.ops(bucket, OpId.ZERO, ALL, Integer.MAX_VALUE);
        }
    }

    private static long rowsOf(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long segments(String schema, String bucket) throws SQLException {
        return rowsOf("SELECT count(*) FROM " + schema + ".op_segments WHERE bucket = '" + bucket + "'");
    }

    /** Ops of the bucket that are not MOVEs: what compaction still has to fold or rewrite. */
    private static long notMoves(String schema, String bucket) throws SQLException {
        return rowsOf("SELECT count(*) FROM " + schema + ".op_segments s, unnest(s.op_types) t WHERE s.bucket = '"
                + bucket + "' AND t <> 3");
    }

    /** Backends waiting for the state row's lock (a write transaction's or a compaction's). */
    private static List<Integer> waitingForState() throws SQLException {
        List<Integer> pids = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                     + "AND wait_event_type = 'Lock' AND query LIKE '" + STATE_LOCK + "' ORDER BY query_start")) {
            while (rs.next()) {
                pids.add(rs.getInt(1));
            }
        }
        return pids;
    }

    private static void awaitWaiting(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (waitingForState().size() < n) {
            assertThat(System.nanoTime()).as(n + " transactions waiting for the state row within 30 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /**
     * Stored checksum and count match the log, the rows are the original log's, and a client that
     * had any prefix of the original log and then downloads the rest of this one ends up with the
     * same rows and checksum.
     */
    private static void assertConsistent(PostgresBucketStorage s, String bucket, List<BucketOp> original) {
        ReducedBucket expected = ReducedBucket.of(original);
        List<BucketOp> now = ops(s, bucket);
        try (var view = s.reader().open()) {
            assertThat(view.checksum(bucket).checksum()).as(bucket + " stored checksum").isEqualTo(expected.checksum);
            assertThat(view.checksum(bucket).count()).as(bucket + " stored count").isEqualTo(now.size());
        }
        assertThat(ReducedBucket.of(now).rows).as(bucket + " rows").isEqualTo(expected.rows);
        assertThat(ReducedBucket.of(now).checksum).as(bucket + " checksum").isEqualTo(expected.checksum);
        for (int cut = 0; cut <= original.size(); cut += Math.max(1, original.size() / 40)) {
            OpId after = cut == 0 ? OpId.ZERO : original.get(cut - 1).opId();
            ReducedBucket client = ReducedBucket.of(original.subList(0, cut));
            now.stream().filter(o -> o.opId().isAfter(after)).forEach(client::apply);
            assertThat(client.rows).as(bucket + " client resuming after " + after).isEqualTo(expected.rows);
            assertThat(client.checksum).as(bucket + " checksum resuming after " + after).isEqualTo(expected.checksum);
        }
    }

    /**
     * Regression: a bucket was compacted in one transaction holding the state row, so the writer
     * waited for the whole compaction (minutes for millions of ops). Here a writer that asks for
     * the state row while compaction of a 40,000-op bucket waits for it is let in after the
     * compaction's first transaction (on a loaded machine, possibly a chunk or two later), and
     * commits while most of the bucket is still uncompacted.
     */
    @Test
    void aWriterCommitsWhileALargeBucketIsBeingCompacted() throws Exception {
        String schema = "chunks_writer";
        try (PostgresBucketStorage s = open(schema)) {
            List<BucketOp> log = fill(s, "big[]", 40, 1000, 500, 1);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try (Connection holder = db.connect()) {
                // Holds the state row so that compaction and then the writer queue for it, in this order.
                holder.setAutoCommit(false);
                try (Statement st = holder.createStatement()) {
                    st.execute("SELECT 1 FROM " + schema + ".state WHERE id = 1 FOR UPDATE");
                }
                Future<?> compaction = threads.submit(() -> s.compactor().compact("big[]"));
                awaitWaiting(1);
                CountDownLatch began = new CountDownLatch(1);
                CountDownLatch commit = new CountDownLatch(1);
                Future<?> writer = threads.submit(() -> {
                    try (WriteTransaction tx = s.writer().begin()) {
                        began.countDown();
                        commit.await();
                        tx.put(new Placement("other[]", "t", "1"), "", "{}");
                        tx.commit(new CommitPosition(1000), true);
                    }
                    return null;
                });
                awaitWaiting(2);
                holder.commit();

                assertThat(began.await(60, TimeUnit.SECONDS)).as("the writer got the state row").isTrue();
                // The writer holds the state row now: compaction cannot go on until it commits. Row
                // locks are not queued fairly in PostgreSQL (a transaction that finds the row free
                // takes it before a waiter that was woken runs), so on a loaded machine a chunk or
                // two of compaction may come first; the whole bucket never does.
                assertThat(notMoves(schema, "big[]")).as("ops left to compact while the writer is in")
                        .isGreaterThan(log.size() / 2);
                assertThat(compaction).isNotDone();
                commit.countDown();
                writer.get(30, TimeUnit.SECONDS);
                compaction.get(120, TimeUnit.SECONDS);
            } finally {
                threads.shutdownNow();
            }
            assertThat(notMoves(schema, "big[]")).as("compacted in the end").isLessThan(log.size() / 10);
            assertConsistent(s, "big[]", log);
            assertThat(ops(s, "other[]")).hasSize(1);
        }
    }

    /**
     * A compaction whose connection is terminated between two of its transactions (as when the
     * process dies) leaves a consistent, partly compacted log; the next run finishes it.
     */
    @Test
    void aCompactionKilledBetweenTransactionsLeavesAConsistentLogThatTheNextRunFinishes() throws Exception {
        String schema = "chunks_killed";
        try (PostgresBucketStorage s = open(schema)) {
            List<BucketOp> log = fill(s, "k[]", 60, 100, 40, 1);
            PostgresConnections connections = new PostgresConnections(db.jdbcUrl(), login(), schema);
            for (int killAfter : new int[] {3, 40}) {
                AtomicInteger pid = new AtomicInteger();
                AtomicInteger committed = new AtomicInteger();
                PostgresCompactor dying = new PostgresCompactor(() -> {
                    Connection c = connections.open();
                    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                        rs.next();
                        pid.set(rs.getInt(1));
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                    return c;
                }, WriterFence.NONE, 50, () -> {
                    if (committed.incrementAndGet() == killAfter) {   // waits until the backend is gone
                        db.execute("SELECT pg_terminate_backend(" + pid.get() + ", 10000)");
                    }
                });
                var result = CompletableFuture.supplyAsync(() -> dying.compact("k[]"));
                assertThatThrownBy(() -> result.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(StorageException.class);
                assertConsistent(s, "k[]", log);
                // The writer goes on (nothing of the dead compaction is left holding the state row).
                try (WriteTransaction tx = s.writer().begin()) {
                    tx.put(new Placement("w[]", "t", Integer.toString(killAfter)), "", "{}");
                    tx.commit(new CommitPosition(1000 + killAfter), true);
                }
            }
            // A failure after ever later transactions, until a run gets through: it ends in each pass
            // (superseded ops, the CLEAR prefix, merging) and the log stays consistent every time.
            int failures = 0;
            for (int failAfter = 5; ; failAfter += 20) {
                AtomicInteger committed = new AtomicInteger();
                int at = failAfter;
                PostgresCompactor failing = new PostgresCompactor(connections::open, WriterFence.NONE, 50, () -> {
                    if (committed.incrementAndGet() == at) {
                        throw new IllegalStateException("injected: the process dies here");
                    }
                });
                try {
                    failing.compact("k[]");
                    break;
                } catch (IllegalStateException e) {
                    assertThat(e).hasMessageContaining("injected");
                    failures++;
                }
                assertConsistent(s, "k[]", log);
            }
            assertThat(failures).isGreaterThan(3);
            assertConsistent(s, "k[]", log);
            s.compactor().compactAll();
            assertConsistent(s, "k[]", log);
            var again = s.compactor().compact("k[]");
            assertThat(again.movedOps() + again.clearedOps()).as("the rerun finished the work").isZero();
            assertThat(notMoves(schema, "k[]")).isLessThanOrEqualTo(41);   // a CLEAR and one op per row at most
            assertThat(ops(s, "w[]")).hasSize(2);
        }
    }

    /**
     * With a budget of 40 ops per transaction and a writer committing to the same bucket after every
     * compaction transaction, every state in between is consistent for every client, and the end
     * result is fully compacted.
     */
    @Test
    void everyStateBetweenCompactionTransactionsIsConsistent() throws Exception {
        String schema = "chunks_states";
        try (PostgresBucketStorage s = open(schema)) {
            List<BucketOp> log = new ArrayList<>(fill(s, "c[]", 80, 12, 15, 1));
            PostgresConnections connections = new PostgresConnections(db.jdbcUrl(), login(), schema);
            AtomicInteger transactions = new AtomicInteger();
            long[] position = {100};
            PostgresCompactor compactor = new PostgresCompactor(connections::open, WriterFence.NONE, 40, () -> {
                transactions.incrementAndGet();
                assertConsistent(s, "c[]", log);
                try (WriteTransaction tx = s.writer().begin()) {
                    String data = "{\"w\":" + position[0] + "}";
                    OpId op = tx.put(new Placement("c[]", "t", "w"), "", data);
                    log.add(new BucketOp.Put(op, "t", "w", "", data, OpChecksum.put("t", "w", data)));
                    tx.commit(new CommitPosition(++position[0]), true);
                }
            });
            var result = compactor.compact("c[]");
            assertThat(transactions.get()).as("compaction transactions").isGreaterThan(5);
            assertThat(result.movedOps()).isPositive();
            assertConsistent(s, "c[]", log);
            // Ops written during the compaction lie above its checkpoint: the next run compacts them.
            new PostgresCompactor(connections::open, WriterFence.NONE, 40, () -> { }).compact("c[]");
            var again = new PostgresCompactor(connections::open, WriterFence.NONE, 40, () -> { }).compact("c[]");
            assertThat(again.movedOps() + again.clearedOps()).isZero();
            assertConsistent(s, "c[]", log);
        }
    }

    /** A bucket within the budget is compacted whole in one transaction (storages hold many small buckets). */
    @Test
    void aSmallBucketIsCompactedInOneTransaction() throws Exception {
        String schema = "chunks_small";
        try (PostgresBucketStorage s = open(schema)) {
            List<BucketOp> log = fill(s, "s[]", 10, 10, 5, 1);
            AtomicInteger transactions = new AtomicInteger();
            PostgresCompactor compactor = new PostgresCompactor(new PostgresConnections(db.jdbcUrl(), login(), schema)::open,
                    WriterFence.NONE, 100, transactions::incrementAndGet);
            var result = compactor.compact("s[]");
            assertThat(transactions.get()).isEqualTo(1);
            assertThat(result.movedOps()).isPositive();
            assertThat(segments(schema, "s[]")).isEqualTo(1);
            assertConsistent(s, "s[]", log);
        }
    }

    /**
     * Regression: compaction never merged segments, so a bucket touched by a few ops per commit
     * kept one segment row per commit. Runs of small segments become one (at most 2,048 ops each);
     * reads, checksums and ranges stay the same.
     */
    @Test
    void smallSegmentsAreMergedAndReadsStayTheSame() throws Exception {
        String schema = "chunks_merge";
        try (PostgresBucketStorage s = open(schema)) {
            List<BucketOp> log = new ArrayList<>();
            for (int t = 0; t < 250; t++) {
                try (WriteTransaction tx = s.writer().begin()) {
                    for (int i = 0; i < 10; i++) {
                        String id = t + "-" + i;
                        String data = "{\"t\":" + t + "}";
                        log.add(new BucketOp.Put(tx.put(new Placement("m[]", "t", id), "", data), "t", id, "", data,
                                OpChecksum.put("t", id, data)));
                        tx.put(new Placement("n[]", "t", id), "", data);
                    }
                    tx.commit(new CommitPosition(t + 1), true);
                }
            }
            assertThat(segments(schema, "m[]")).isEqualTo(250);
            OpId middle = log.get(1234).opId();
            var before = new Object[3];
            try (var view = s.reader().open()) {
                before[0] = view.checksum("m[]");
                before[1] = view.stateAt("m[]", middle);
                before[2] = view.opRange("m[]", log.get(17).opId(), middle);
            }
            s.compactor().compactAll();
            assertThat(segments(schema, "m[]")).as("2,500 ops in segments of at most 2,048").isEqualTo(2);
            assertThat(rowsOf("SELECT max(cardinality(op_ids)) FROM " + schema + ".op_segments")).isLessThanOrEqualTo(2048);
            assertThat(ops(s, "m[]")).isEqualTo(log);
            try (var view = s.reader().open()) {
                assertThat(view.checksum("m[]")).isEqualTo(before[0]);
                assertThat(view.stateAt("m[]", middle)).isEqualTo(before[1]);
                assertThat(view.opRange("m[]", log.get(17).opId(), middle)).isEqualTo(before[2]);
                for (int limit : new int[] {1, 7, 1000}) {   // paging from inside a merged segment
                    assertThat(view.ops("m[]", log.get(99).opId(), ALL, limit))
                            .isEqualTo(log.subList(100, 100 + limit));
                }
            }
            // Merged again later: a new commit's segment joins the last run; nothing else changes.
            try (WriteTransaction tx = s.writer().begin()) {
                String data = "{\"late\":1}";
                log.add(new BucketOp.Put(tx.put(new Placement("m[]", "t", "late"), "", data), "t", "late", "", data,
                        OpChecksum.put("t", "late", data)));
                tx.commit(new CommitPosition(1000), true);
            }
            s.compactor().compactAll();
            assertThat(segments(schema, "m[]")).isEqualTo(2);
            assertThat(ops(s, "m[]")).isEqualTo(log);
        }
    }
}
