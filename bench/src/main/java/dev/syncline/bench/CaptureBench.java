package dev.syncline.bench;

import dev.syncline.server.source.postgres.CaptureSink;
import dev.syncline.server.source.postgres.CaptureState;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.RowImageLookup;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.SourceTable;
import dev.syncline.server.source.postgres.SourceTransaction;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * BENCHMARKS.md P1 (capture part): row changes/s decoded by Syncline's capture (reader thread,
 * decoder, assembler, value mapping, typed rows handed to a sink that only counts) against a bare
 * pgjdbc pgoutput reader that does nothing but count messages — on the same WAL backlog, in the
 * same run. Usage: {@code bench/run capture [changes] [rounds]}.
 */
public final class CaptureBench {
    public static void main(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        singleTransaction = args.length > 2 && args[2].equals("single-transaction");
        HeapSampler heap = HeapSampler.start();
        List<double[]> results = new ArrayList<>();
        try (PostgresTestServer server = PostgresTestServer.start()) {
            for (int round = 1; round <= rounds; round++) {
                try (TestDatabase db = server.createDatabase()) {
                    double[] r = round(db, changes);
                    results.add(r);
                    System.out.printf("round %d: raw pgoutput %.0f changes/s, syncline capture %.0f changes/s, ratio %.2f%n",
                            round, r[0], r[1], r[1] / r[0]);
                }
            }
        }
        report(changes, results);
        System.out.printf("workload: %s; max heap used during the run: %d MiB of %d MiB max%n",
                singleTransaction ? "one transaction inserting every row" : "transactions of 1,000 rows (50% inserts, 25% updates, 25% deletes)",
                heap.maxUsedBytes() >> 20, Runtime.getRuntime().maxMemory() >> 20);
    }

    private static boolean singleTransaction;

    private static double[] round(TestDatabase db, int changes) throws Exception {
        db.execute("CREATE TABLE todos (id bigint PRIMARY KEY, list_id int, owner text, title text, done boolean, "
                        + "updated_at timestamptz)",
                "CREATE PUBLICATION bench_raw FOR TABLE todos",
                "SELECT pg_create_logical_replication_slot('bench_raw', 'pgoutput')");
        // Syncline's slot is created by its own start-up on the empty table (snapshot of 0 rows).
        PgSourceSettings settings = PgSourceSettings.defaults(db.jdbcUrl(), db.user(), db.password(),
                List.of(TableName.parse("todos")));
        CountingSink sink = new CountingSink();
        try (PostgresChangeCapture capture = new PostgresChangeCapture(settings, sink, RowImageLookup.NONE)) {
            capture.start();
            capture.close();
        }
        Lsn end = workload(db, changes);
        double raw = rawRead(db, end, changes);
        sink.reset(end, changes);
        long start = System.nanoTime();
        try (PostgresChangeCapture capture = new PostgresChangeCapture(settings, sink, RowImageLookup.NONE)) {
            capture.start();
            if (!sink.reached.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("capture did not reach " + end);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (sink.changes.get() != changes) {
            throw new IllegalStateException("capture saw " + sink.changes.get() + " changes, expected " + changes);
        }
        return new double[] {raw, changes / seconds};
    }

    /**
     * Inserts, updates and deletes in transactions of 1,000 rows; returns the LSN after the last commit.
     * The insert position, not pg_current_wal_lsn(): that is the write position, which can lag the
     * last commit record (it stops at a page boundary), so a reader would stop short of the end.
     */
    static Lsn workload(TestDatabase db, int changes) throws SQLException {
        if (singleTransaction) {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO todos SELECT g, g % 100, 'user' || (g % 50), 'todo number ' || g, false, now() "
                        + "FROM generate_series(1, " + changes + ") g");
                try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                    rs.next();
                    return Lsn.parse(rs.getString(1));
                }
            }
        }
        int inserts = changes / 2;
        int updates = changes / 4;
        int deletes = changes - inserts - updates;
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (int from = 1; from <= inserts; from += 1000) {
                int to = Math.min(inserts, from + 999);
                s.execute("INSERT INTO todos SELECT g, g % 100, 'user' || (g % 50), 'todo number ' || g, false, now() "
                        + "FROM generate_series(" + from + ", " + to + ") g");
            }
            for (int from = 1; from <= updates; from += 1000) {
                s.execute("UPDATE todos SET done = true, title = title || '!' WHERE id BETWEEN " + from + " AND "
                        + Math.min(updates, from + 999));
            }
            for (int from = inserts - deletes + 1; from <= inserts; from += 1000) {
                s.execute("DELETE FROM todos WHERE id BETWEEN " + from + " AND " + Math.min(inserts, from + 999));
            }
            try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                rs.next();
                return Lsn.parse(rs.getString(1));
            }
        }
    }

    /** A bare pgoutput reader: counts I/U/D messages until it passes {@code end}. */
    static double rawRead(TestDatabase db, Lsn end, int expected) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), p)) {
            long start = System.nanoTime();
            PGReplicationStream stream = c.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                    .withSlotName("bench_raw").withStartPosition(LogSequenceNumber.INVALID_LSN)
                    .withSlotOption("proto_version", "1").withSlotOption("publication_names", "bench_raw")
                    .start();
            long count = 0;
            while (true) {
                ByteBuffer m = stream.read();
                byte type = m.get(m.position());
                if (type == 'I' || type == 'U' || type == 'D') {
                    count++;
                } else if (type == 'C' && count >= expected
                        && Long.compareUnsigned(stream.getLastReceiveLSN().asLong(), end.value()) >= 0) {
                    break;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            stream.close();
            if (count != expected) {
                throw new IllegalStateException("raw reader saw " + count + " changes, expected " + expected);
            }
            return count / seconds;
        }
    }

    private static void report(int changes, List<double[]> results) throws IOException {
        List<Double> raw = new ArrayList<>();
        List<Double> syncline = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        for (double[] r : results) {
            raw.add(r[0]);
            syncline.add(r[1]);
            ratio.add(r[1] / r[0]);
        }
        String table = "| date | changes per round | rounds | raw pgoutput changes/s (median) | Syncline capture changes/s (median) | ratio (median) |\n"
                + "|---|---|---|---|---|---|\n"
                + String.format("| %s | %d | %d | %.0f | %.0f | %.2f |%n", LocalDate.now(), changes, results.size(),
                median(raw), median(syncline), median(ratio));
        System.out.println();
        System.out.print(table);
        ResultFile.write("capture" + (singleTransaction ? "-single-transaction" : ""), table);
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Counts changes and acknowledges every commit at once, like a storage with infinite speed. */
    static final class CountingSink implements CaptureSink {
        final AtomicLong changes = new AtomicLong();
        volatile CountDownLatch reached = new CountDownLatch(1);
        volatile Lsn target = new Lsn(-1);
        volatile long expected;
        private volatile CaptureState state = CaptureState.EMPTY;
        private DurableAck ack;

        void reset(Lsn end, long expectedChanges) {
            changes.set(0);
            expected = expectedChanges;
            target = end;
            reached = new CountDownLatch(1);
        }

        @Override public void open(DurableAck ack) { this.ack = ack; }
        @Override public CaptureState loadState() { return state; }
        @Override public void snapshotStarted(SnapshotProgress progress) { state = new CaptureState(progress, state.storedCommitLsn()); }
        @Override public void snapshotChunk(SourceTable table, List<Row> rows, SnapshotProgress progress) {
            state = new CaptureState(progress, state.storedCommitLsn());
        }
        @Override public void begin(SourceTransaction.Begin begin) { }
        @Override public void change(RowChange change) { changes.incrementAndGet(); }
        @Override public void message(SourceTransaction.LogicalMessage message) { }

        @Override
        public void commit(SourceTransaction.Commit commit) {
            ack.durableUpTo(commit.endLsn());
            if (commit.endLsn().compareTo(target) >= 0 && changes.get() >= expected) {
                reached.countDown();
            }
        }

        @Override public void tableRecreated(TableName table, int oldRelationId, int newRelationId) { }
    }
}
