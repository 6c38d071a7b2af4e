package dev.syncline.bench;

import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * BENCHMARKS.md P3: initial sync of N small rows from the whole server (real PostgreSQL, rules,
 * SQLite storage, HTTP NDJSON, real JWT) to one JVM client ({@link BenchSyncClient}: streaming
 * parse, ops applied to a local SQLite file in one transaction committed at
 * {@code checkpoint_complete}, checksums verified). Time runs from sending the request to that
 * commit. Replication first stores all rows; then {@code rounds} first syncs, each into a fresh
 * client file, in the same JVM (the first one also warms the JIT). Reports each round and the median.
 * Then the same number of first syncs with the stock {@code @powersync/node} client, for the same-run ratio.
 * Usage: {@code bench/run initial-sync [rows=1000000] [rounds=3]}.
 * {@code bench/run initial-sync [rows] [rounds] storages} instead runs P10's P3: two servers, each on
 * its own embedded PostgreSQL, one with SQLite bucket storage and one with PostgreSQL bucket storage
 * (a schema of its source database), the JVM client alternating between them.
 */
public final class InitialSyncBench {
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        if (args.length > 2 && args[2].equals("storages")) {
            storages(rows, rounds);
            return;
        }
        Path dir = Files.createTempDirectory("syncline-initial-sync");
        try (PostgresTestServer server = PostgresTestServer.start();
             RunningApp running = RunningApp.start(server, dir)) {
            running.awaitReady();
            long copyStart = System.nanoTime();
            running.db.execute("INSERT INTO todos SELECT 'b' || g, 'l1', 'todo number ' || g, g % 2 = 0, g "
                    + "FROM generate_series(1, " + rows + ") g");
            long expected = rows + 4L; // + lists l1 and l2 and the sample todos t1 and t2 of alice's lists
            HttpClient http = HttpClient.newHttpClient();
            // Wait until replication has stored every row (a first sync would otherwise see a partial checkpoint).
            while (syncOnce(running, http, dir.resolve("probe-" + System.nanoTime() + ".db")).rows < expected) {
                Thread.sleep(2000);
            }
            System.out.printf("replication of %d rows took %.1f s before the syncs%n", rows,
                    (System.nanoTime() - copyStart) / 1e9);
            List<Double> rates = new ArrayList<>();
            StringBuilder table = new StringBuilder("| date | load (1/5/15 min) | rows in the client's buckets | round "
                    + "| seconds (request → applied) | rows/s | checksum failures |\n|---|---|---|---|---|---|---|\n");
            for (int round = 1; round <= rounds; round++) {
                String load = Load.average();
                Result r = syncOnce(running, http, dir.resolve("client-" + round + ".db"));
                double rate = r.rows / r.seconds;
                rates.add(rate);
                table.append(String.format("| %s | %s | %d | %d | %.2f | %.0f | %d |%n", LocalDate.now(), load, r.rows,
                        round, r.seconds, rate, r.checksumFailures));
            }
            List<Double> sorted = rates.stream().sorted().toList();
            double ours = sorted.get(sorted.size() / 2);
            table.append(String.format("%nmedian: %.0f rows/s over %d rounds%n", ours, rounds));
            table.append(powerSyncNodeComparison(running, rounds, rows, expected, ours));
            System.out.print(table);
            ResultFile.write("initial-sync-" + rows, table.toString());
        }
    }

    /** P10: the JVM client's first sync from SQLite and from PostgreSQL bucket storage, alternating, same rows. */
    private static void storages(int rows, int rounds) throws Exception {
        // Two PostgreSQL servers alike: replication slot names are per server, and both apps use the default one.
        try (PostgresTestServer server = PostgresTestServer.start();
             PostgresTestServer server2 = PostgresTestServer.start();
             RunningApp sqlite = RunningApp.start(server, Files.createTempDirectory("syncline-p10-sqlite"), "",
                     RunningApp.MEMBERSHIP_RULES, false);
             RunningApp postgres = RunningApp.start(server2, Files.createTempDirectory("syncline-p10-postgres"), "",
                     RunningApp.MEMBERSHIP_RULES, true)) {
            long expected = rows + 4L;
            HttpClient http = HttpClient.newHttpClient();
            Path dir = Files.createTempDirectory("syncline-p10-clients");
            for (RunningApp running : List.of(sqlite, postgres)) {
                running.awaitReady();
                running.db.execute("INSERT INTO todos SELECT 'b' || g, 'l1', 'todo number ' || g, g % 2 = 0, g "
                        + "FROM generate_series(1, " + rows + ") g");
                while (syncOnce(running, http, dir.resolve("probe-" + System.nanoTime() + ".db")).rows < expected) {
                    Thread.sleep(2000);
                }
            }
            StringBuilder table = new StringBuilder("| date | load (1/5/15 min) | bucket storage | round | rows "
                    + "| seconds (request → applied) | rows/s | checksum failures |\n|---|---|---|---|---|---|---|---|\n");
            java.util.Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
            for (int round = 1; round <= rounds; round++) {
                for (int turn = 0; turn < 2; turn++) {
                    boolean pg = (round + turn) % 2 == 0;
                    String name = pg ? "postgresql" : "sqlite";
                    String load = Load.average();
                    Result r = syncOnce(pg ? postgres : sqlite, http, dir.resolve(name + "-" + round + ".db"));
                    if (r.rows != expected || r.checksumFailures != 0) {
                        throw new IllegalStateException(name + " round " + round + ": " + r);
                    }
                    rates.computeIfAbsent(name, k -> new ArrayList<>()).add(r.rows / r.seconds);
                    table.append(String.format("| %s | %s | %s | %d | %d | %.2f | %.0f | %d |%n", LocalDate.now(), load,
                            name, round, r.rows, r.seconds, r.rows / r.seconds, r.checksumFailures));
                }
            }
            double s = median(rates.get("sqlite"));
            double p = median(rates.get("postgresql"));
            table.append(String.format("%nmedians: SQLite storage %.0f rows/s, PostgreSQL storage %.0f rows/s (%.2f×)%n",
                    s, p, p / s));
            System.out.print(table);
            ResultFile.write("initial-sync-storages-" + rows, table.toString());
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    record Result(long rows, double seconds, long checksumFailures) {}

    /** One first sync as alice up to the first checkpoint_complete (BrowserInitialSyncBench waits for replication with it). */
    static Result syncOnce(RunningApp running, HttpClient http, Path clientDb) throws Exception {
        long start = System.nanoTime();
        HttpResponse<InputStream> response = BenchSyncClient.open(http, running.endpoint(), running.token("alice"));
        long[] appliedAt = new long[1];
        try (BenchSyncClient client = new BenchSyncClient("jdbc:sqlite:" + clientDb, false);
             InputStream body = response.body()) {
            client.run(body, 1, (lastOpId, rows, visibleAt) -> appliedAt[0] = visibleAt);
            return new Result(client.rowCount(), (appliedAt[0] - start) / 1e9, client.checksumFailures());
        }
    }

    /**
     * The same first sync with the stock {@code @powersync/node} client against the same server, in
     * the same run (P3's "≈ 3× @powersync/node"), paired round by round with the same client against
     * the canned stream ({@link CannedStream}: this server's own response to the same request, recorded
     * before the rounds, so the same rows, framing and gzip bytes); the median against the server is checked by {@link Baseline#POWERSYNC_NODE}, and
     * the ratio is printed as a result only when the baseline holds. Skipped, saying why, when
     * clients/interop-node is not installed.
     */
    static String powerSyncNodeComparison(RunningApp running, int rounds, int rows, long expected, double oursMedian)
            throws Exception {
        if (!Files.isDirectory(Path.of("clients", "interop-node", "node_modules", "@powersync", "node"))) {
            return "\n@powersync/node rounds skipped: run `npm ci` in clients/interop-node first\n";
        }
        StringBuilder out = new StringBuilder("\n| date | load (1/5/15 min) | client | stream | round | rows "
                + "| seconds (connect → first sync) | rows/s |\n|---|---|---|---|---|---|---|---|\n");
        List<Double> server = new ArrayList<>();
        List<Double> canned = new ArrayList<>();
        String described;
        try (CannedStream stream = CannedStream.record(running.endpoint(), running.token("alice"), CannedStream.VARIANTS)) {
            for (int round = 1; round <= rounds; round++) {
                // Alternate which stream goes first: other load on the machine drifts within a run.
                for (int turn = 0; turn < 2; turn++) {
                    if ((round + turn) % 2 == 1) {
                        server.add(nodeRound(out, round, "server", running.endpoint(), running.token("alice"), expected));
                    } else {
                        canned.add(nodeRound(out, round, "canned", stream.endpoint, running.token("alice"), expected));
                    }
                }
            }
            stream.requireNoFailures();
            described = stream.describe();
        }
        double theirsServer = BrowserInitialSyncBench.median(server);
        double theirsCanned = BrowserInitialSyncBench.median(canned);
        Baseline.Verdict verdict = Baseline.POWERSYNC_NODE.check(theirsServer, theirsCanned, rows);
        String ratio = String.format("Syncline's client / @powersync/node = %.2f (rows/s, against the server)",
                oursMedian / (expected / theirsServer));
        return out + "\n" + described + String.format("%n@powersync/node medians: %.2f s against the server (%.0f rows/s), %.2f s against the "
                + "canned stream%n%s%n%s%n", theirsServer, expected / theirsServer, theirsCanned, verdict.text(),
                verdict.broken() ? "(not a result, broken baseline) " + ratio : "RESULT: " + ratio);
    }

    /** The client schema of RunningApp's tables, for @powersync/node. */
    private static final String NODE_SCHEMA = "{\"lists\":{\"name\":\"text\",\"owner_id\":\"text\"},"
            + "\"todos\":{\"list_id\":\"text\",\"description\":\"text\",\"done\":\"integer\",\"n\":\"integer\"}}";

    /** One @powersync/node first sync into a fresh local database, timed in the node process; returns seconds. */
    private static double nodeRound(StringBuilder out, int round, String stream, String endpoint, String token, long expected)
            throws Exception {
        Path script = Path.of("clients", "interop-node", "sync-once.mjs");
        String load = Load.average();
        Path log = Files.createTempFile("powersync-node", ".log");
        Process p = new ProcessBuilder("node", script.toString(), "--endpoint", endpoint, "--token", token,
                "--schema", NODE_SCHEMA, "--count-only", "--timeout-ms", "900000")
                .redirectError(log.toFile()).start();
        String synced = null;
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.contains("\"event\":\"synced\"")) {
                    synced = line;
                }
            }
        }
        int exit = p.waitFor();
        if (exit != 0 || synced == null) {
            throw new IllegalStateException("@powersync/node round " + round + " (" + stream + ") failed (exit " + exit + "): "
                    + Files.readString(log));
        }
        var event = new com.fasterxml.jackson.databind.ObjectMapper().readTree(synced);
        long rows = event.at("/tables/lists/count").asLong() + event.at("/tables/todos/count").asLong();
        if (rows != expected) {
            throw new IllegalStateException("@powersync/node round " + round + " (" + stream + ") synced " + rows
                    + " rows, expected " + expected);
        }
        double seconds = event.path("elapsedMs").asDouble() / 1000;
        out.append(String.format("| %s | %s | @powersync/node | %s | %d | %d | %.2f | %.0f |%n", LocalDate.now(), load, stream,
                round, rows, seconds, rows / seconds));
        return seconds;
    }
}
