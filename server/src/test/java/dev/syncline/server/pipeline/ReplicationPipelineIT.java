package dev.syncline.server.pipeline;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BucketStats;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * End to end: PostgreSQL → capture → {@link ReplicationPipeline} → bucket storage (SQLite here,
 * PostgreSQL in {@link PostgresStorageReplicationPipelineIT}), checked against the rules evaluated
 * over PostgreSQL directly, across restarts, lost acknowledgements, compaction and kill -9.
 */
class ReplicationPipelineIT {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final List<String> USERS = List.of("alice", "bob", "carol", "dave");

    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    @TempDir
    Path dir;
    TestDatabase db;
    BucketStorage storage;
    PostgresChangeCapture capture;
    AckSwitch sink;
    HandOffPipeline pipeline;
    final TodoRules rules = new TodoRules();

    @BeforeEach
    void createDatabase() { db = server.createDatabase(); }

    /** How the storage named {@code name} is opened ({@link PipelineProcess#openStorage}); SQLite files in the test directory. */
    String storageSpec(String name) {
        return dir.resolve(name + ".db").toString();
    }

    @AfterEach
    void stop() {
        stopPipeline();
        db.close();
    }

    @Test
    void survivesKillDashNineOfTheServerProcessMidWorkload() throws Exception {
        db.execute("CREATE TABLE lists (id bigint PRIMARY KEY, owner text, name text)",
                "CREATE TABLE todos (id bigint PRIMARY KEY, list_id bigint, title text, done int)",
                "INSERT INTO lists SELECT g, 'user' || (g % 4), 'list ' || g FROM generate_series(1, 20) g",
                "INSERT INTO todos SELECT g, g % 20 + 1, 'todo ' || g, g % 2 FROM generate_series(1, 1000) g");
        Random random = new Random(99);
        String killed = storageSpec("killed");
        Path log = dir.resolve("pipeline-process.log");
        Process p = PipelineProcess.start(db.jdbcUrl(), db.user(), db.password(), killed, dir, log);
        try {
            for (int kill = 0; kill < 3; kill++) {
                workload(random, 60);
                Thread.sleep(random.nextInt(300));   // somewhere between receiving, storing and acknowledging
                p.destroyForcibly().waitFor();       // SIGKILL: no shutdown hooks, no rollback, no close
                workload(random, 20);                // written while the server is down
                p = PipelineProcess.start(db.jdbcUrl(), db.user(), db.password(), killed, dir, log);
            }
            workload(random, 60);
            try (BucketStorage observer = PipelineProcess.openStorage(db.jdbcUrl(), db.user(), db.password(), killed)) {
                awaitConverged("after three kill -9 and restarts", observer);
            }
            String output = java.nio.file.Files.readString(log);
            System.out.println(output.lines().filter(l -> l.contains("streaming changes") || l.contains("ERROR") || l.startsWith("checkpoint"))
                    .collect(java.util.stream.Collectors.joining("\n")));
            assertThat(output.split("streaming changes from slot", -1)).as("four process runs").hasSize(5);
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void unchangedToastOfARowTheCrashedCopyNeverReachedIsReplayedWithoutError() throws Exception {
        db.execute("CREATE TABLE lists (id bigint PRIMARY KEY, owner text, name text)",
                "CREATE TABLE todos (id bigint PRIMARY KEY, list_id bigint, title text, done int)",
                // Out of line and uncompressed: an UPDATE that leaves the title alone sends it as 'unchanged TOAST'.
                "ALTER TABLE todos ALTER COLUMN title SET STORAGE EXTERNAL",
                "INSERT INTO lists SELECT g, 'user' || (g % 4), 'list ' || g FROM generate_series(1, 20) g",
                "INSERT INTO todos SELECT g, g % 20 + 1, repeat('t', 3000) || g, g % 2 FROM generate_series(1, 1000) g");

        // The copy dies after the lists chunk and one chunk of todos: rows above 300 were never copied.
        assertThatThrownBy(() -> start(false, 2)).hasMessageContaining("simulated crash");
        stopPipeline();
        // While down: the stream (replayed from the first snapshot's point) will carry an UPDATE of a
        // row storage never saw, with its title as unchanged TOAST, and then its DELETE.
        db.execute("UPDATE todos SET done = 1 - done WHERE id = 900",
                "DELETE FROM todos WHERE id = 900",
                "UPDATE todos SET done = 1 - done WHERE id = 800");

        start(false);   // resumes the copy on a new snapshot, then streams from the slot's start
        db.execute("INSERT INTO todos VALUES (99999, 1, 'marker', 0)");
        awaitConverged("after the resumed copy and the replayed stream");
        assertThat(capture.completion()).as("capture still streaming").isNotCompletedExceptionally();
        db.execute("UPDATE todos SET done = 1 - done WHERE id = 700");   // filled from the stored image
        awaitConverged("after an unchanged-TOAST update of a copied row");
        assertThat(capture.completion()).as("capture still streaming").isNotCompletedExceptionally();
    }

    private void start(boolean dropAcks) {
        start(dropAcks, -1);
    }

    private void start(boolean dropAcks, int chunksBeforeCrash) {
        storage = PipelineProcess.openStorage(db.jdbcUrl(), db.user(), db.password(), storageSpec("syncline"));
        // As the server runs it: storage on a writer thread of its own, rules on the capture thread.
        pipeline = new HandOffPipeline(new ReplicationPipeline(storage, rules, BatchPolicy.DEFAULT, System::nanoTime));
        sink = new AckSwitch(pipeline);
        sink.dropAcks = dropAcks;
        sink.chunksBeforeCrash = chunksBeforeCrash;
        PgSourceSettings settings = PgSourceSettings.defaults(db.jdbcUrl(), db.user(), db.password(),
                        List.of(TodoRules.LISTS, TodoRules.TODOS))
                .withSnapshotChunkRows(300).withHeartbeatInterval(Duration.ofMillis(200));
        capture = new PostgresChangeCapture(settings, sink, pipeline);
        capture.start();
    }

    private void stopPipeline() {
        if (capture != null) {
            capture.close();
            capture = null;
        }
        if (pipeline != null) {
            pipeline.close();
            pipeline = null;
        }
        if (storage != null) {
            storage.close();
            storage = null;
        }
    }

    @Test
    void bucketsEqualTheRulesOverPostgresThroughRestartsLostAcksAndCompaction() throws Exception {
        db.execute("CREATE TABLE lists (id bigint PRIMARY KEY, owner text, name text)",
                "CREATE TABLE todos (id bigint PRIMARY KEY, list_id bigint, title text, done int)",
                "INSERT INTO lists SELECT g, 'user' || (g % 4), 'list ' || g FROM generate_series(1, 20) g",
                "INSERT INTO todos SELECT g, g % 20 + 1, 'todo ' || g, g % 2 FROM generate_series(1, 1000) g");
        Random random = new Random(2024);

        start(false);
        awaitConverged("after the initial copy");

        sink.dropAcks = true;
        workload(random, 150);
        awaitConverged("after workload A (acknowledgements lost)");
        long opsBefore = totalOps();

        restart(false);   // PostgreSQL resends everything since the last confirmed position
        db.execute("INSERT INTO todos VALUES (99999, 1, 'marker', 0)");
        awaitConverged("after replaying unacknowledged transactions");
        assertThat(totalOps()).as("replayed transactions wrote nothing twice; the marker wrote 2 ops")
                .isEqualTo(opsBefore + 2);

        workload(random, 150);
        restart(false);   // without waiting: an uncommitted batch or unread WAL is dropped and replayed
        workload(random, 150);
        awaitConverged("after workload B with a restart in the middle");

        storage.compactor().compactAll();
        awaitConverged("after compaction");
        workload(random, 100);
        awaitConverged("after more changes on compacted buckets");
    }

    private void restart(boolean dropAcks) {
        stopPipeline();
        start(dropAcks);
    }

    private long totalOps() {
        try (ReadView v = storage.reader().open()) {
            return v.bucketStats().stream().mapToLong(BucketStats::ops).sum();
        }
    }

    /** Inserts, updates that move todos between lists and in and out of the global bucket, deletes, key changes, owner changes. */
    private void workload(Random random, int transactions) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (int t = 0; t < transactions; t++) {
                c.setAutoCommit(random.nextInt(3) != 0);
                for (int i = random.nextInt(1, 5); i > 0; i--) {
                    int id = random.nextInt(1, 1200);
                    int list = random.nextInt(1, 25);
                    s.execute(switch (random.nextInt(8)) {
                        case 0, 1 -> "INSERT INTO todos VALUES (" + id + ", " + list + ", 't" + t + "', "
                                + random.nextInt(2) + ") ON CONFLICT (id) DO UPDATE SET title = excluded.title";
                        case 2 -> "UPDATE todos SET list_id = " + list + " WHERE id = " + id;
                        case 3 -> "UPDATE todos SET done = 1 - done, title = title || '!' WHERE id = " + id;
                        case 4 -> "DELETE FROM todos WHERE id = " + id;
                        case 5 -> "UPDATE todos SET id = " + (id + 2000) + " WHERE id = " + id
                                + " AND NOT EXISTS (SELECT 1 FROM todos WHERE id = " + (id + 2000) + ")";
                        case 6 -> "UPDATE lists SET owner = '" + USERS.get(random.nextInt(USERS.size())) + "' WHERE id = "
                                + list;
                        default -> "INSERT INTO lists VALUES (" + list + ", 'user" + random.nextInt(4) + "', 'l') "
                                + "ON CONFLICT (id) DO UPDATE SET name = lists.name || '+'";
                    });
                }
                if (!c.getAutoCommit()) {
                    c.commit();
                }
            }
            c.setAutoCommit(true);
        }
    }

    private void awaitConverged(String when) {
        awaitConverged(when, storage);
    }

    private void awaitConverged(String when, BucketStorage storage) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        Map<String, Map<List<String>, String>> expected = Map.of();
        Map<String, Map<List<String>, String>> stored = Map.of();
        Map<String, List<String>> expectedParams = Map.of();
        Map<String, List<String>> storedParams = Map.of();
        while (System.nanoTime() < end) {
            Map<TableName, List<Map<String, SqlValue>>> source = readSource();
            expected = BucketOracle.expected(rules, source);
            stored = BucketOracle.stored(storage);
            expectedParams = BucketOracle.expectedParameters(rules, source);
            storedParams = BucketOracle.storedParameters(storage, lookupKeys());
            if (expected.equals(stored) && expectedParams.equals(storedParams)) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertThat(stored).as("buckets " + when).isEqualTo(expected);
        assertThat(storedParams).as("parameter index " + when).isEqualTo(expectedParams);
    }

    private static List<String> lookupKeys() {
        List<String> keys = new ArrayList<>();
        for (int u = 0; u < 4; u++) {
            keys.add("[\"by_list\",0,\"user" + u + "\"]");
        }
        USERS.forEach(u -> keys.add("[\"by_list\",0,\"" + u + "\"]"));
        return keys;
    }

    private Map<TableName, List<Map<String, SqlValue>>> readSource() {
        Map<TableName, List<Map<String, SqlValue>>> out = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);   // one snapshot for both tables
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            for (TableName t : List.of(TodoRules.LISTS, TodoRules.TODOS)) {
                List<Map<String, SqlValue>> rows = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("SELECT * FROM " + t.quoted())) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        Map<String, SqlValue> row = new LinkedHashMap<>();
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            Object v = rs.getObject(i);
                            row.put(md.getColumnName(i), v == null ? SqlValue.nullValue()
                                    : v instanceof Number n ? SqlValue.of(n.longValue()) : SqlValue.of(v.toString()));
                        }
                        rows.add(row);
                    }
                }
                out.put(t, rows);
            }
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }
}
