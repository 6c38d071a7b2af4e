package dev.syncline.bench;

import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.upload.UploadApp;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * BENCHMARKS.md P7: client transactions applied per second through {@code POST /api/upload}
 * under the demo's RLS policies (role {@code authenticated}, claims per transaction, a SECURITY
 * DEFINER membership check per row, the exactly-once marker row), with replication of the
 * written rows running at the same time. Concurrent clients on loopback HTTP, each its own
 * {@code client_id}, alternate users alice and bob, each transaction one PUT of a new todo in the
 * list both share, sent over one kept-alive connection per client ({@link KeepAliveHttp}: the
 * JDK's HttpClient cost as much CPU per request as the server). Counts only {@code applied}
 * outcomes and checks the count against PostgreSQL.
 * Usage: {@code bench/run upload [clients=16] [seconds=10]}.
 *
 * <p>The server and the load generator share one JVM (and this machine's cores); PostgreSQL is
 * the embedded test server, measured with {@code fsync} off (its test setting) and on. Each path
 * is measured at its steady speed, right after a warm-up that lasts until the JIT is done
 * ({@link #warmUp}).
 */
public final class UploadBench {
    record Result(String durability, String path, int clients, int txPerRequest, long applied, long other,
                  double seconds, String load, double jvmCpuMicrosPerTx) {
        Result with(String postgres) {
            return new Result(postgres, path, clients, txPerRequest, applied, other, seconds, load, jvmCpuMicrosPerTx);
        }

        String row() {
            return String.format("| %s | %s | %s | %d | %d | %d | %.1f | %.0f | %.0f | %d | %s |%n", LocalDate.now(),
                    durability, path, clients, txPerRequest, applied, seconds, applied / seconds, jvmCpuMicrosPerTx,
                    other, load);
        }
    }

    /**
     * CPU time of this whole JVM so far (server, load clients, replication; not PostgreSQL's
     * processes), in ns: per applied transaction it tells the costs apart whatever share of the
     * machine other processes leave.
     */
    private static long jvmCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path dir = Files.createTempDirectory("syncline-upload-bench");
        List<Result> results = new ArrayList<>();
        List<String> warmUps = new ArrayList<>();
        try (PostgresTestServer server = PostgresTestServer.start();
             // One connection and one upload in flight per client: the per-user limit (default 2)
             // would otherwise answer most of the 16 clients (8 per user) 429.
             UploadApp app = UploadApp.start(server, dir, "  max_connections: " + Math.max(2, clients)
                     + "\n  max_concurrent_per_user: " + Math.max(2, clients))) {
            for (String durability : List.of("fsync=off", "fsync=on")) {
                app.db.execute("ALTER SYSTEM SET fsync = " + (durability.endsWith("on") ? "on" : "off"),
                        "SELECT pg_reload_conf()");
                // Each path is measured right after its own warm-up (see warmUp): the bare JDBC
                // loop shares pgjdbc's code with the server, and running one between the server's
                // warm-up and its measurement could make the JIT recompile that code for it.
                warmUps.add(durability + ", /api/upload: " + warmUp(() -> {
                    settle(app);
                    return run(app, clients, 1, WARM_UP_ROUND_SECONDS);
                }));
                for (int txPerRequest : new int[] {1, 10}) {
                    settle(app);
                    results.add(run(app, clients, txPerRequest, seconds).with(durability));
                    System.out.print(results.getLast().row());
                }
                warmUps.add(durability + ", bare JDBC: " + warmUp(() -> {
                    settle(app);
                    return bare(app, clients, WARM_UP_ROUND_SECONDS, Bare.STATEMENTS);
                }));
                for (Bare way : Bare.values()) {
                    settle(app);
                    results.add(bare(app, clients, seconds, way).with(durability));
                    System.out.print(results.getLast().row());
                }
            }
            app.db.execute("ALTER SYSTEM RESET fsync", "SELECT pg_reload_conf()");
        }
        StringBuilder table = new StringBuilder("| date | PostgreSQL | path | clients | tx per request | applied tx"
                + " | seconds | applied tx/s | JVM CPU µs per tx | not applied | load average (1 min) before → after |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|\n");
        results.forEach(r -> table.append(r.row()));
        table.append("\nWarm-up before each path and PostgreSQL setting, rounds of ").append(WARM_UP_ROUND_SECONDS)
                .append(" s until the JIT compiled for at most ").append(STEADY_COMPILE_MILLIS)
                .append(" ms in two rounds in a row (at most ").append(WARM_UP_MAX_ROUNDS)
                .append(" rounds), tx/s and JIT time per round:\n\n");
        warmUps.forEach(w -> table.append("- ").append(w).append('\n'));
        System.out.print(table);
        ResultFile.write("upload", table.toString());
    }

    private static final AtomicLong TX_IDS = new AtomicLong();

    static final int WARM_UP_ROUND_SECONDS = 5;
    static final int WARM_UP_MAX_ROUNDS = 36;
    /** A round is steady when the JIT compiled for at most this long in it (1 % of the round). */
    static final long STEADY_COMPILE_MILLIS = WARM_UP_ROUND_SECONDS * 10L;

    @FunctionalInterface
    private interface Round {
        Result run() throws Exception;
    }

    /**
     * Runs {@code round} until the JIT has finished compiling what it runs: two rounds in a row in
     * which compilation took at most {@link #STEADY_COMPILE_MILLIS} (or {@link #WARM_UP_MAX_ROUNDS}
     * ran). Every measured path thus runs at its steady speed, as in a long-running server. On 2
     * busy cores the compiler threads get little CPU, and the HTTP path, with far more code than
     * the bare JDBC loop, needed a minute or more of load to get there (2026-12-08: 2,541 → 3,565 →
     * 3,825 tx/s in three 10 s runs after the 10 s warm-up used before). Returns each round's tx/s
     * and JIT milliseconds, for the result file.
     */
    private static String warmUp(Round round) throws Exception {
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        List<String> rounds = new ArrayList<>();
        int quiet = 0;
        for (int i = 0; i < WARM_UP_MAX_ROUNDS; i++) {
            long compiling = jit.getTotalCompilationTime();
            Result r = round.run();
            long compiled = jit.getTotalCompilationTime() - compiling;
            rounds.add(Math.round(r.applied() / r.seconds()) + " (JIT " + compiled + " ms)");
            quiet = compiled <= STEADY_COMPILE_MILLIS ? quiet + 1 : 0;
            if (quiet == 2) {
                return String.join(", ", rounds) + "; steady after " + (i + 1) * WARM_UP_ROUND_SECONDS + " s";
            }
        }
        return String.join(", ", rounds) + "; JIT still busy after " + WARM_UP_MAX_ROUNDS * WARM_UP_ROUND_SECONDS + " s";
    }

    private static Result run(UploadApp app, int clients, int txPerRequest, int seconds) throws Exception {
        URI uri = URI.create(app.endpoint());
        long before = todos(app);
        String loadBefore = loadAverage();
        LongAdder applied = new LongAdder();
        LongAdder other = new LongAdder();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        long cpu = jvmCpuNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            String user = c % 2 == 0 ? "alice" : "bob";
            String token = app.token(user);
            String clientId = "bench-" + UUID.randomUUID();
            threads.add(Thread.ofPlatform().name("upload-client-" + c).start(() -> {
                try (KeepAliveHttp http = new KeepAliveHttp(uri)) {
                    while (System.nanoTime() < end) {
                        KeepAliveHttp.Response response = http.post("/api/upload", "Bearer " + token,
                                body(clientId, txPerRequest));
                        String text = response.body();
                        int ok = count(text, "\"status\":\"applied\"");
                        applied.add(ok);
                        other.add(response.status() == 200 ? txPerRequest - ok : txPerRequest);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        double cpuPerTx = (jvmCpuNanos() - cpu) / 1e3 / Math.max(1, applied.sum());
        String load = loadBefore + " → " + loadAverage();
        long inserted = todos(app) - before;
        if (inserted != applied.sum()) {
            throw new IllegalStateException("PostgreSQL has " + inserted + " new todos but " + applied.sum()
                    + " transactions were reported applied");
        }
        return new Result("", "/api/upload", clients, txPerRequest, applied.sum(), other.sum(), elapsed, load, cpuPerTx);
    }

    static final String MARK = "INSERT INTO syncline.applied_uploads (user_id, client_id, tx_id) VALUES (?, ?, ?)"
            + " ON CONFLICT DO NOTHING";
    static final String BECOME = "SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', ?, true),"
            + " set_config('request.jwt.claim.sub', ?, true), set_config('statement_timeout', '30000ms', true),"
            + " pg_current_xact_id()::xid::text";
    static final String PUT = "INSERT INTO \"public\".\"todos\" (\"id\", \"list_id\", \"description\", \"completed\")"
            + " VALUES (?::uuid, ?::uuid, ?::text, ?::boolean) ON CONFLICT (\"id\") DO UPDATE SET"
            + " \"list_id\" = EXCLUDED.\"list_id\", \"description\" = EXCLUDED.\"description\","
            + " \"completed\" = EXCLUDED.\"completed\"";

    /** How the bare JDBC baseline sends the same SQL. */
    enum Bare {
        /** The baseline P7 is measured against: one round trip per statement, then COMMIT. */
        STATEMENTS("bare JDBC, same SQL (1 round trip per statement)"),
        /** Every statement in one round trip, then COMMIT: the server's way for PATCH and DELETE. */
        PIPELINED("bare JDBC, same SQL pipelined (1 round trip + commit)"),
        /** Every statement and COMMIT in one round trip: the server's way for PUTs only. */
        ONE_ROUND_TRIP("bare JDBC, same SQL and COMMIT pipelined (1 round trip)"),
        /**
         * The server's whole round trip for one PUT: the pooled connection's session reset first
         * (PgConnectionPool's RESET), then as {@link #ONE_ROUND_TRIP}. What is left between this and
         * {@code /api/upload} is HTTP, JSON, the token check and the pool.
         */
        SERVER_SQL("bare JDBC, the server's SQL: session reset, same SQL and COMMIT (1 round trip)");

        final String label;

        Bare(String label) {
            this.label = label;
        }
    }

    /** The server's session reset before every upload transaction. */
    static final String SESSION_RESET = dev.syncline.server.upload.PgConnectionPool.RESET;

    /** The marker row as the server inserts it when COMMIT is in the same pipeline: a duplicate fails. */
    static final String MARK_STRICT = "INSERT INTO syncline.applied_uploads (user_id, client_id, tx_id) VALUES (?, ?, ?)";

    /**
     * The baseline: the statements the server runs for one upload of one PUT (marker row, role,
     * claims and statement_timeout with the transaction id, the upsert, commit), straight over JDBC
     * from {@code clients} threads each on a connection of its own, without HTTP, JSON, the pool
     * or the pool's per-transaction session reset (a dedicated connection needs none). Each
     * statement is prepared once per connection and reused, as pgjdbc's documentation recommends
     * (server-side prepared after {@code prepareThreshold} uses). {@code pipelined}: the same
     * statements sent as one multi-statement prepared statement (one round trip) before the
     * commit, which is how the server sends a transaction with a PATCH or DELETE; {@code
     * ONE_ROUND_TRIP}: with COMMIT in the same round trip, how the server sends one of PUTs only.
     */
    private static Result bare(UploadApp app, int clients, int seconds, Bare way) throws Exception {
        boolean pipelined = way != Bare.STATEMENTS;
        boolean commitInPipeline = way == Bare.ONE_ROUND_TRIP || way == Bare.SERVER_SQL;
        String reset = way == Bare.SERVER_SQL ? SESSION_RESET + "; " : "";
        int resetResults = way == Bare.SERVER_SQL ? SESSION_RESET.split(";").length : 0;
        long before = todos(app);
        LongAdder applied = new LongAdder();
        String load = loadAverage();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        long cpu = jvmCpuNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            String user = c % 2 == 0 ? "alice" : "bob";
            String clientId = "bare-" + UUID.randomUUID();
            threads.add(Thread.ofPlatform().name("bare-client-" + c).start(() -> {
                try (Connection db = app.db.connect();
                     var mark = db.prepareStatement(MARK);
                     var become = db.prepareStatement(BECOME);
                     var put = db.prepareStatement(PUT);
                     var all = db.prepareStatement(commitInPipeline ? reset + MARK_STRICT + "; " + BECOME + "; " + PUT + "; COMMIT"
                             : MARK + "; " + BECOME + "; " + PUT)) {
                    db.setAutoCommit(false);
                    while (System.nanoTime() < end) {
                        if (pipelined) {
                            all.setString(1, user);
                            all.setString(2, clientId);
                            all.setLong(3, TX_IDS.incrementAndGet());
                            all.setString(4, "{\"sub\":\"" + user + "\"}");
                            all.setString(5, user);
                            all.setString(6, UUID.randomUUID().toString());
                            all.setString(7, UploadApp.SHARED_LIST);
                            all.setString(8, "benchmark todo");
                            all.setString(9, "0");
                            all.execute();
                            for (int r = 0; r < resetResults; r++) {
                                all.getMoreResults();
                            }
                            int marked = all.getUpdateCount();
                            all.getMoreResults();
                            try (ResultSet rs = all.getResultSet()) {
                                rs.next();
                                Long.parseLong(rs.getString(5));
                            }
                            all.getMoreResults();
                            if (marked != 1 || all.getUpdateCount() != 1) {
                                throw new IllegalStateException("pipelined bare JDBC: marker or upsert touched no row");
                            }
                        } else {
                            mark.setString(1, user);
                            mark.setString(2, clientId);
                            mark.setLong(3, TX_IDS.incrementAndGet());
                            mark.executeUpdate();
                            become.setString(1, "{\"sub\":\"" + user + "\"}");
                            become.setString(2, user);
                            try (ResultSet rs = become.executeQuery()) {
                                rs.next();
                                Long.parseLong(rs.getString(5));
                            }
                            put.setString(1, UUID.randomUUID().toString());
                            put.setString(2, UploadApp.SHARED_LIST);
                            put.setString(3, "benchmark todo");
                            put.setString(4, "0");
                            put.executeUpdate();
                        }
                        if (!commitInPipeline) {
                            db.commit();
                        }
                        applied.increment();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        double cpuPerTx = (jvmCpuNanos() - cpu) / 1e3 / Math.max(1, applied.sum());
        if (todos(app) - before != applied.sum()) {
            throw new IllegalStateException("bare JDBC: row count and commits differ");
        }
        return new Result("", way.label, clients, 1, applied.sum(), 0, elapsed, load + " → " + loadAverage(), cpuPerTx);
    }

    /**
     * Waits (up to a minute) until the server's replication has acknowledged everything written so
     * far, so no run pays for the capture and bucket storage of the rows the run before it wrote
     * (a /api/upload run right after the bare JDBC runs fell to 80 tx/s while the server stored
     * their tens of thousands of rows).
     */
    private static void settle(UploadApp app) throws Exception {
        long start = System.nanoTime();
        try (Connection c = app.db.connect(); Statement s = c.createStatement()) {
            String target;
            try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                rs.next();
                target = rs.getString(1);
            }
            while (System.nanoTime() - start < 60_000_000_000L) {
                try (ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn >= '" + target + "'::pg_lsn"
                        + " FROM pg_replication_slots WHERE slot_name = 'syncline'")) {
                    if (rs.next() && rs.getBoolean(1)) {
                        break;
                    }
                }
                Thread.sleep(100);
            }
        }
        System.out.printf("(replication settled in %.1f s)%n", (System.nanoTime() - start) / 1e9);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static String body(String clientId, int transactions) {
        StringBuilder b = new StringBuilder("{\"client_id\":\"").append(clientId).append("\",\"transactions\":[");
        for (int t = 0; t < transactions; t++) {
            b.append(t == 0 ? "" : ",").append("{\"tx_id\":").append(TX_IDS.incrementAndGet())
                    .append(",\"ops\":[{\"op_id\":1,\"op\":\"PUT\",\"type\":\"todos\",\"id\":\"").append(UUID.randomUUID())
                    .append("\",\"data\":{\"list_id\":\"").append(UploadApp.SHARED_LIST)
                    .append("\",\"description\":\"benchmark todo\",\"completed\":0}}]}");
        }
        return b.append("]}").toString();
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    private static long todos(UploadApp app) throws Exception {
        try (Connection c = app.db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM todos")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
