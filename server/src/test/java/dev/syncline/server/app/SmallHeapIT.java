package dev.syncline.server.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memory is bounded by bytes, not rows (issue 13): a server process with a 160 MiB heap copies
 * 240 MB of 4 MB rows, replays one transaction that rewrites all of them, survives a kill -9 in
 * the middle of it, and takes a one-million-row transaction (200k with PostgreSQL storage), without
 * running out of memory. With
 * the former row-count bounds (4,096 queued steps, 10k-row chunks and images) the first 40 such
 * rows fill the heap, and so did the storage writers' buffers (512 rows of source state in SQLite,
 * 1,000 ops per JDBC batch in PostgreSQL) until they were bounded in bytes too. Both storage
 * backends. The byte budgets are set below their defaults to fit the small heap; the defaults are
 * sized for 512 MiB (docs/configuration.md).
 */
class SmallHeapIT {
    private static final int BIG_ROWS = 60;
    private static final int BIG_ROW_BYTES = 4 * 1024 * 1024;
    /** One transaction of this many small rows; fewer with PostgreSQL storage, whose op inserts are slower. */
    private static int smallRows(String storage) {
        return storage.equals("postgresql") ? 200_000 : 1_000_000;
    }
    private static final String ADMIN_TOKEN = "small-heap-admin-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    private final HttpClient http = HttpClient.newHttpClient();

    @ParameterizedTest(name = "{0} storage")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void bigRowsAndAMillionRowTransactionInA160MiBHeap(String storage, @TempDir Path dir) throws Exception {
        try (TestDatabase db = server.createDatabase()) {
            db.execute("CREATE TABLE blobs (id int PRIMARY KEY, body text)",
                    "ALTER TABLE blobs ALTER COLUMN body SET STORAGE EXTERNAL", // no compression: 4 MB stay 4 MB
                    "CREATE TABLE items (id int PRIMARY KEY, n int)",
                    "INSERT INTO blobs SELECT g, repeat(chr(65 + g % 26), " + BIG_ROW_BYTES + ") FROM generate_series(1, "
                            + BIG_ROWS + ") g");
            int port = freePort();
            Path config = config(dir, port, storage);
            String base = "http://127.0.0.1:" + port;

            Process first = serve(dir, config, db, "first");
            try {
                awaitReady(first, base, dir.resolve("first.log"));
                awaitRows(first, base, BIG_ROWS, lsn(db), dir.resolve("first.log"));
                // One transaction rewriting every big row, and the server killed while it replays it.
                db.execute("UPDATE blobs SET body = repeat(chr(66 + id % 26), " + BIG_ROW_BYTES + ")");
                Thread.sleep(500);
            } finally {
                first.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
            }
            assertThat(Files.readString(dir.resolve("first.log"))).doesNotContain("OutOfMemoryError");

            int smallRows = smallRows(storage);
            db.execute("INSERT INTO items SELECT g, g FROM generate_series(1, " + smallRows + ") g"); // one transaction
            String target = lsn(db);
            Process second = serve(dir, config, db, "second");
            try {
                awaitReady(second, base, dir.resolve("second.log"));
                // Stored through the LSN after both transactions: the rewrite (committed before the
                // million rows) is in storage too. (Not asserted by op count: compaction may fold the
                // superseded ops at any time.)
                awaitRows(second, base, BIG_ROWS + smallRows, target, dir.resolve("second.log"));
                assertThat(second.isAlive()).as("server process alive after the work").isTrue();
            } finally {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
            }
            assertThat(Files.readString(dir.resolve("second.log"))).doesNotContain("OutOfMemoryError");
        }
    }

    private static Path config(Path dir, int port, String storage) throws IOException {
        Files.writeString(dir.resolve("rules.yaml"), """
                bucket_definitions:
                  everything:
                    data:
                      - SELECT * FROM blobs
                      - SELECT * FROM items
                """);
        Path config = RunningApp.writeConfig(dir, RunningApp.SECRET, """
                  snapshot_chunk_bytes: 4MB
                  max_pending_bytes: 16MB
                  max_queued_bytes: 16MB
                upload:
                  enabled: false
                admin:
                  token: %s
                """.formatted(ADMIN_TOKEN));
        Files.writeString(config, Files.readString(config).replace("port: 8080", "port: " + port));
        if (storage.equals("postgresql")) {
            RunningApp.usePostgresStorage(config);
        }
        return config;
    }

    /** {@code bin/syncline serve} in a JVM of its own with a 160 MiB heap that exits on OutOfMemoryError. */
    private static Process serve(Path dir, Path config, TestDatabase db, String name) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx160m", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), "dev.syncline.server.cli.SynclineCli",
                "serve", "--config", config.toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("PG_URI", db.uri());
        return pb.start();
    }

    private void awaitReady(Process p, String base, Path log) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < end) {
            assertThat(p.isAlive()).as("server exited (%s):%n%s", p.isAlive() ? "" : p.exitValue(), tail(log)).isTrue();
            try {
                if (get(base + "/probes/readiness", null).statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // the process is still starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("server not ready within 5 minutes:\n" + tail(log));
    }

    /** Waits until storage holds {@code rows} rows in the bucket and has stored the source through {@code lsn}. */
    private JsonNode awaitRows(Process p, String base, long rows, String lsn, Path log) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(8).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < end) {
            assertThat(p.isAlive()).as("server exited (%s):%n%s", p.isAlive() ? "" : p.exitValue(), tail(log)).isTrue();
            HttpResponse<String> r;
            try {
                r = get(base + "/api/admin/v1/diagnostics", ADMIN_TOKEN);
            } catch (IOException e) { // a process that died is reported by the assertion above, with its log
                Thread.sleep(500);
                continue;
            }
            if (r.statusCode() == 200) {
                last = JSON.readTree(r.body());
                List<JsonNode> buckets = List.copyOf(last.path("largest_buckets").valueStream().toList());
                if (!buckets.isEmpty() && buckets.getFirst().path("rows").asLong() == rows
                        && compareLsn(last.path("replication").path("stored_lsn").asText(), lsn) >= 0) {
                    return buckets.getFirst();
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("storage did not reach " + rows + " rows and " + lsn + "; last diagnostics " + last
                + "\n" + tail(log));
    }

    private static String lsn(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static int compareLsn(String a, String b) {
        return Long.compareUnsigned(lsnValue(a), lsnValue(b));
    }

    private static long lsnValue(String lsn) {
        String[] parts = lsn.split("/");
        return (Long.parseLong(parts[0], 16) << 32) | Long.parseLong(parts[1], 16);
    }

    private HttpResponse<String> get(String url, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
