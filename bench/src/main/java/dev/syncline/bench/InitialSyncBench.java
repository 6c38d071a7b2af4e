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
 * Usage: {@code bench/run initial-sync [rows=1000000] [rounds=3]}.
 */
public final class InitialSyncBench {
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
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
            table.append(String.format("%nmedian: %.0f rows/s over %d rounds%n", sorted.get(sorted.size() / 2), rounds));
            System.out.print(table);
            Path out = Path.of("bench", "results", "initial-sync-" + rows + "-" + LocalDate.now() + ".md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, table);
        }
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
}
