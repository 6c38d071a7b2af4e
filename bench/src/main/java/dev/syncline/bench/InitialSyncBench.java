package dev.syncline.bench;

import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineParser;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.LocalDate;

/**
 * BENCHMARKS.md P3 (partial): initial sync of N small rows from the whole server (real PostgreSQL,
 * rules, SQLite storage, HTTP NDJSON) to one JVM client that parses every line and applies the
 * ops to a local SQLite file in one transaction at {@code checkpoint_complete}, the way a client
 * SDK does. Reports rows/s from request to applied. Usage: {@code bench/run initial-sync [rows]}.
 * The client here is a minimal stand-in (no Java SDK exists yet), so this is an upper bound for
 * download + parse + apply, not an SDK measurement.
 */
public final class InitialSyncBench {
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        Path dir = Files.createTempDirectory("syncline-initial-sync");
        try (PostgresTestServer server = PostgresTestServer.start();
             RunningApp running = RunningApp.start(server, dir)) {
            running.db.execute("INSERT INTO todos SELECT 'b' || g, 'l1', 'todo number ' || g, g % 2 = 0, g "
                    + "FROM generate_series(1, " + rows + ") g");
            long copyStart = System.nanoTime();
            running.awaitReady();
            // Wait until replication has stored every row (a first sync would otherwise see a partial checkpoint).
            long expected = rows + 2L; // + the sample todos t1 and t2 of alice's lists
            long synced;
            double seconds;
            while (true) {
                long start = System.nanoTime();
                synced = syncOnce(running, dir.resolve("client-" + start + ".db"));
                seconds = (System.nanoTime() - start) / 1e9;
                if (synced >= expected) {
                    break;
                }
                Thread.sleep(1000);
            }
            String table = "| date | rows in the client's buckets | seconds (request → applied) | rows/s |\n|---|---|---|---|\n"
                    + String.format("| %s | %d | %.2f | %.0f |%n", LocalDate.now(), synced, seconds, synced / seconds);
            System.out.printf("replication of %d rows took %.1f s before the sync%n", rows,
                    (System.nanoTime() - copyStart) / 1e9);
            System.out.print(table);
            Path out = Path.of("bench", "results", "initial-sync-" + LocalDate.now() + ".md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, table);
        }
    }

    /** One first sync as alice; returns the number of distinct rows applied. */
    private static long syncOnce(RunningApp running, Path clientDb) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(running.endpoint() + "/sync/stream"))
                .header("Authorization", "Token " + running.token("alice"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + clientDb);
             BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("CREATE TABLE oplog (bucket TEXT, op_id INTEGER, type TEXT, id TEXT, data TEXT)");
                s.execute("CREATE TABLE rows (type TEXT, id TEXT, data TEXT, PRIMARY KEY (type, id))");
            }
            db.setAutoCommit(false);
            try (PreparedStatement put = db.prepareStatement("INSERT INTO oplog VALUES (?, ?, ?, ?, ?)")) {
                String line;
                while ((line = lines.readLine()) != null) {
                    SyncLine parsed = SyncLineParser.ndjson(line);
                    if (parsed instanceof SyncLine.Data data) {
                        for (OplogEntry op : data.data()) {
                            put.setString(1, data.bucket());
                            put.setLong(2, op.opId());
                            put.setString(3, op.objectType());
                            put.setString(4, op.objectId());
                            put.setString(5, op.data());
                            put.addBatch();
                        }
                        put.executeBatch();
                    } else if (parsed instanceof SyncLine.CheckpointComplete) {
                        try (Statement s = db.createStatement()) {
                            // Apply: the newest PUT per row wins (no REMOVEs in a first sync of inserts).
                            s.execute("INSERT OR REPLACE INTO rows SELECT type, id, data FROM oplog WHERE data IS NOT NULL "
                                    + "ORDER BY op_id");
                        }
                        db.commit();
                        break;
                    }
                }
            }
            try (Statement s = db.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM rows")) {
                rs.next();
                return rs.getLong(1) - 2; // the two list rows
            }
        } finally {
            response.body().close();
        }
    }
}
