package dev.syncline.server.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineParser;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.sync.ProtocolClientModel;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

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
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Versioned sync rules with live reprocessing, on the whole server against a real PostgreSQL:
 * changed rules build a new storage generation beside the serving one, and clients move to it
 * with their buckets reset by CLEAR in one checkpoint — never an empty or inconsistent state —
 * ending with exactly the new rules' rows.
 */
class GenerationsIT {
    static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String L1 = "user_lists[\"l1\"]";
    static final String L2 = "user_lists[\"l2\"]";
    static final String L3 = "user_lists[\"l3\"]";
    static final String OLD_RULES = """
            bucket_definitions:
              user_lists:
                parameters: SELECT list_id FROM list_members WHERE user_id = request.user_id()
                data:
                  - SELECT id, name FROM lists WHERE id = bucket.list_id
                  - SELECT id, list_id, description FROM todos WHERE list_id = bucket.list_id
            """;
    /** One column added to a data query. */
    static final String NEW_RULES = OLD_RULES.replace("SELECT id, list_id, description FROM todos",
            "SELECT id, list_id, description, done FROM todos");

    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    static final AtomicInteger slots = new AtomicInteger();
    final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    /** Its own slot and publication names per test (slots are cluster-wide), plus the admin token. */
    static String extraYaml(String more) {
        int n = slots.incrementAndGet();
        return "  slot_name: gen_it_" + n + "\n  publication_name: gen_it_" + n + "\n" + more
                + "admin:\n  token: " + ADMIN_TOKEN + "\n";
    }

    static SynclineApp restart(RunningApp running, Path dir) throws Exception {
        SynclineConfig config = ConfigLoader.load(dir.resolve("syncline.yaml"), Map.of("PG_URI", running.db.uri()));
        return SynclineApp.start(config.withPort(0), Clock.systemUTC());
    }

    @Test
    void restartWithChangedRulesReprocessesAndAResumingClientGetsTheNewColumnWithoutAnEmptyCheckpoint() throws Exception {
        RunningApp running = RunningApp.start(server.server(), dir, extraYaml(""), OLD_RULES).awaitReady();
        SynclineApp app = running.app;
        try {
            running.db.execute("INSERT INTO todos SELECT 'x' || g, 'l1', 'bulk ' || g, g % 2 = 0, g "
                    + "FROM generate_series(1, 300) g");
            ProtocolClientModel alice = new ProtocolClientModel();
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the old rules' rows", c -> c.rows.getOrDefault(L1, Map.of()).size() == 302);
            }
            assertThat(todos(alice)).allSatisfy(row -> assertThat(row.has("done")).isFalse());
            app.close();

            Files.writeString(dir.resolve("rules.yaml"), NEW_RULES);
            running.db.execute("INSERT INTO todos VALUES ('t-gap', 'l1', 'written while stopped', true, 1)");
            app = restart(running, dir);
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the new rules' rows", c -> todos(c).size() == 303
                        && todos(c).stream().allMatch(row -> row.has("done")));
            }
            assertThat(alice.rows.keySet()).containsExactlyInAnyOrder(L1, L2);
            assertThat(ids(alice, L1)).isEqualTo(pgIds(running, "l1"));
            assertThat(ids(alice, L2)).isEqualTo(pgIds(running, "l2"));
            JsonNode generations = diagnostics(app).path("generations");
            assertThat(generations.path("active").path("id").asInt()).isEqualTo(1);
            assertThat(generations.path("active").path("slot_name").asText()).endsWith("_g1");
            String slot = generations.path("active").path("slot_name").asText();
            awaitSlots(running, slot.substring(0, slot.length() - 3) + "%", Set.of(slot));

            // `syncline compact` works on the serving generation; `serve --resnapshot` discards all of them
            app.close();
            SynclineConfig config = ConfigLoader.load(dir.resolve("syncline.yaml"), Map.of("PG_URI", running.db.uri()));
            assertThat(dev.syncline.server.generation.GenerationStore.serving(config).path().toString())
                    .endsWith("syncline.db-g1");
            Resnapshot.run(config);
            assertThat(strings(running, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '"
                    + slot.substring(0, slot.length() - 3) + "%'")).isEmpty();
            try (var files = Files.list(dir.resolve("storage"))) {
                assertThat(files.map(f -> f.getFileName().toString())).containsExactly("syncline.db.lock");
            }
            app = restart(running, dir);
            RunningApp.awaitReady(app);
            assertThat(diagnostics(app).path("generations").path("active").path("id").asInt()).isZero();
            System.out.println("restart with changed rules: " + todos(alice).size() + " todos synced, all with `done`; "
                    + "events " + alice.events.size());
        } finally {
            app.close();
            running.db.close();
        }
    }

    @Test
    void rulesChangedWhileThreeClientsStayConnectedAndWritesFlow() throws Exception {
        RunningApp running = RunningApp.start(server.server(), dir, extraYaml(""), OLD_RULES).awaitReady();
        try {
            running.db.execute("INSERT INTO todos SELECT 'x' || g, 'l' || (1 + g % 3), 'bulk ' || g, false, g "
                    + "FROM generate_series(1, 600) g");
            Map<String, String> users = Map.of("c-alice", "alice", "c-bob", "bob", "c-alice-2", "alice");
            List<Stream> streams = new ArrayList<>();
            List<String> anomalies = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (var e : users.entrySet()) {
                streams.add(new Stream(running.app, running.token(e.getValue()), e.getKey(), new ProtocolClientModel()));
            }
            for (Stream s : streams) {
                s.awaitComplete("first sync", c -> c.rows.values().stream().mapToInt(Map::size).sum() > 100);
                s.watchCompletions(anomalies);
            }
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger writes = new AtomicInteger();
            Thread writer = Thread.ofPlatform().start(() -> {
                int i = 0;
                while (writing.get()) {
                    i++;
                    running.db.execute("INSERT INTO todos VALUES ('w" + i + "', 'l" + (1 + i % 3) + "', 'live " + i
                            + "', " + (i % 2 == 0) + ", " + i + ")", "UPDATE todos SET description = 'changed " + i
                            + "' WHERE id = 'x" + (1 + i % 600) + "'");
                    writes.incrementAndGet();
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            AtomicInteger probes = new AtomicInteger();
            List<String> unavailable = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread prober = Thread.ofPlatform().daemon().start(() -> {
                while (writing.get()) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(running.endpoint()
                                + "/probes/readiness")).build(), HttpResponse.BodyHandlers.ofString());
                        probes.incrementAndGet();
                        if (r.statusCode() != 200) {
                            unavailable.add(r.statusCode() + " " + r.body());
                        }
                        Thread.sleep(50);
                    } catch (Exception e) {
                        unavailable.add(e.toString());
                    }
                }
            });
            try {
                assertThat(reprocess(running.app, null).statusCode()).isEqualTo(401);
                assertThat(reprocess(running.app, "Bearer " + running.token("alice")).statusCode()).isEqualTo(401);
                assertThat(reprocess(running.app, "Token " + running.token("alice")).statusCode()).isEqualTo(401);
                Files.writeString(dir.resolve("rules.yaml"), NEW_RULES);
                HttpResponse<String> accepted = reprocess(running.app, "Bearer " + ADMIN_TOKEN);
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                assertThat(JSON.readTree(accepted.body()).path("building").path("id").asInt()).isEqualTo(1);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (diagnostics(running.app).path("generations").path("active").path("id").asInt() != 1) {
                    assertThat(System.nanoTime()).as("switch within 120 s").isLessThan(end);
                    Thread.sleep(200);
                }
                Thread.sleep(1_000);   // writes keep flowing after the switch too
            } finally {
                writing.set(false);
                writer.join();
                prober.join();
            }
            System.out.println("readiness probes during the reprocess: " + probes.get() + ", not ready: "
                    + unavailable.size());
            assertThat(unavailable).isEmpty();
            for (var e : users.entrySet()) {
                Stream s = streams.stream().filter(x -> x.clientId.equals(e.getKey())).findFirst().orElseThrow();
                Set<String> lists = e.getValue().equals("alice") ? Set.of("l1", "l2") : Set.of("l1", "l3");
                s.awaitComplete("exactly the new rules' rows", c -> {
                    for (String list : lists) {
                        if (!ids(c, "user_lists[\"" + list + "\"]").equals(pgIds(running, list))) {
                            return false;
                        }
                    }
                    return todos(c).stream().allMatch(row -> row.has("done"));
                });
                assertThat(s.completed.rows.keySet()).hasSize(2);
                System.out.println(e.getKey() + ": " + todos(s.completed).size() + " todos, all with `done`; "
                        + s.completions.get() + " checkpoints completed");
            }
            System.out.println("writes during the reprocess: " + writes.get() + ", anomalies: " + anomalies.size());
            assertThat(anomalies).isEmpty();
            for (Stream s : streams) {
                s.close();
            }
        } finally {
            running.close();
        }
    }

    @Test
    void aStopDuringReprocessingResumesTheBuildAtTheNextStartWithNoLostRow() throws Exception {
        RunningApp running = RunningApp.start(server.server(), dir, extraYaml("  snapshot_chunk_rows: 50\n"), OLD_RULES)
                .awaitReady();
        SynclineApp app = running.app;
        try {
            running.db.execute("INSERT INTO todos SELECT 'x' || g, 'l1', repeat('bulk ', 20) || g, false, g "
                    + "FROM generate_series(1, 20000) g");
            ProtocolClientModel alice = new ProtocolClientModel();
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the old rules' rows", c -> c.rows.getOrDefault(L1, Map.of()).size() == 20002);
            }
            Files.writeString(dir.resolve("rules.yaml"), NEW_RULES);
            assertThat(reprocess(app, "Bearer " + ADMIN_TOKEN).statusCode()).isEqualTo(202);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            JsonNode building;
            do {
                assertThat(System.nanoTime()).as("the build copies rows").isLessThan(end);
                Thread.sleep(20);
                building = diagnostics(app).path("generations").path("building");
            } while (building.path("snapshot").path("rows_copied").asLong() == 0);
            assertThat(building.path("snapshot").path("state").asText()).isEqualTo("copying");
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("syncline_generation 0.0", "syncline_generation_building 1.0",
                    "syncline_generation_snapshot_tables 3.0");
            System.out.println("stopped the server while the build had copied "
                    + building.path("snapshot").path("rows_copied").asLong() + " rows");
            app.close();   // mid-build: nothing of the build is finished or cleaned up

            running.db.execute("INSERT INTO todos VALUES ('t-gap', 'l1', 'written while stopped', true, 1)",
                    "DELETE FROM todos WHERE id = 'x7'");
            app = restart(running, dir);
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the new rules' rows", c -> todos(c).size() == 20002
                        && todos(c).stream().allMatch(row -> row.has("done")));
            }
            assertThat(ids(alice, L1)).isEqualTo(pgIds(running, "l1"));
            assertThat(diagnostics(app).path("generations").path("active").path("id").asInt())
                    .as("the build was resumed, not started again").isEqualTo(1);
            System.out.println("after the restart: " + ids(alice, L1).size() + " rows in l1, equal to PostgreSQL");
        } finally {
            app.close();
            running.db.close();
        }
    }

    @Test
    void aKill9OfTheServerProcessDuringReprocessingIsFinishedAtTheNextStartWithNoLostRow() throws Exception {
        RunningApp running = RunningApp.start(server.server(), dir, extraYaml("  snapshot_chunk_rows: 50\n"), OLD_RULES)
                .awaitReady();
        running.db.execute("INSERT INTO todos SELECT 'x' || g, 'l1', repeat('bulk ', 20) || g, false, g "
                + "FROM generate_series(1, 20000) g");
        ProtocolClientModel alice = new ProtocolClientModel();
        try (Stream s = new Stream(running.app, running.token("alice"), "c-alice", alice)) {
            s.awaitComplete("the old rules' rows", c -> c.rows.getOrDefault(L1, Map.of()).size() == 20002);
        }
        running.app.close();
        Path log = dir.resolve("server.log");
        var started = ServerProcess.start(dir.resolve("syncline.yaml"), running.db.uri(), dir, log);
        Process process = started.getKey();
        SynclineApp app = null;
        try {
            Files.writeString(dir.resolve("rules.yaml"), NEW_RULES);
            int port = started.getValue();
            HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/admin/v1/reprocess")).header("Authorization", "Bearer " + ADMIN_TOKEN)
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long copied;
            do {
                assertThat(System.nanoTime()).as("the build copies rows").isLessThan(end);
                Thread.sleep(20);
                HttpResponse<String> d = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/admin/v1/diagnostics")).header("Authorization", "Bearer " + ADMIN_TOKEN).build(),
                        HttpResponse.BodyHandlers.ofString());
                copied = JSON.readTree(d.body()).path("generations").path("building").path("snapshot")
                        .path("rows_copied").asLong();
            } while (copied == 0);
            process.destroyForcibly().waitFor();   // SIGKILL mid-build
            System.out.println("killed -9 the server process while the build had copied about " + copied + " rows");

            running.db.execute("INSERT INTO todos VALUES ('t-gap', 'l1', 'written while down', true, 1)",
                    "UPDATE todos SET description = 'changed while down' WHERE id = 'x5'",
                    "DELETE FROM todos WHERE id = 'x7'");
            app = restart(running, dir);
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the new rules' rows", c -> todos(c).size() == 20002
                        && todos(c).stream().allMatch(row -> row.has("done"))
                        && c.rows.get(L1).getOrDefault("x5", "").contains("changed while down"));
            }
            assertThat(ids(alice, L1)).isEqualTo(pgIds(running, "l1"));
            assertThat(diagnostics(app).path("generations").path("active").path("id").asInt()).isEqualTo(1);
            System.out.println("after kill -9 and restart: " + ids(alice, L1).size() + " rows in l1, equal to PostgreSQL");
        } finally {
            process.destroyForcibly();
            if (app != null) {
                app.close();
            }
            running.db.close();
        }
    }

    @Test
    void aKill9RightAfterTheSwitchLeavesTheNewGenerationServingAndTheOldOneIsDroppedAtTheNextStart() throws Exception {
        RunningApp running = RunningApp.start(server.server(), dir, extraYaml(""), OLD_RULES).awaitReady();
        running.app.close();
        Path log = dir.resolve("server.log");
        var started = ServerProcess.start(dir.resolve("syncline.yaml"), running.db.uri(), dir, log);
        Process process = started.getKey();
        String base = "http://127.0.0.1:" + started.getValue();
        SynclineApp app = null;
        try {
            Files.writeString(dir.resolve("rules.yaml"), NEW_RULES);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/api/admin/v1/reprocess"))
                    .header("Authorization", "Bearer " + ADMIN_TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/api/admin/v1/diagnostics"))
                    .header("Authorization", "Bearer " + ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString())
                    .body()).path("generations").path("active").path("id").asInt() != 1) {
                assertThat(System.nanoTime()).as("switch").isLessThan(end);
                Thread.sleep(20);
            }
            process.destroyForcibly().waitFor();   // SIGKILL within the 10 s before generation 0 is dropped
            assertThat(Files.exists(dir.resolve("storage/syncline.db"))).as("generation 0 not dropped yet").isTrue();

            app = restart(running, dir);
            assertThat(diagnostics(app).path("generations").path("active").path("id").asInt()).isEqualTo(1);
            String slot = diagnostics(app).path("generations").path("active").path("slot_name").asText();
            awaitSlots(running, slot.substring(0, slot.length() - 3) + "%", Set.of(slot));
            assertThat(Files.exists(dir.resolve("storage/syncline.db"))).as("generation 0's file dropped").isFalse();
            ProtocolClientModel alice = new ProtocolClientModel();
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the new rules' rows", c -> todos(c).size() == 2
                        && todos(c).stream().allMatch(row -> row.has("done")));
            }
            System.out.println("kill -9 right after the switch: generation 1 serves, generation 0's slot and file "
                    + "dropped at the next start");
        } finally {
            process.destroyForcibly();
            if (app != null) {
                app.close();
            }
            running.db.close();
        }
    }

    /** Dropped and re-created, the table leaves the publication: the heartbeat's relation-id check notices. */
    @Test
    void aTableDroppedAndRecreatedWhileServingIsCopiedAgainIntoANewGenerationAndConnectedClientsGetItsRows()
            throws Exception {
        RunningApp running = RunningApp.start(server.server(), dir, extraYaml(""), OLD_RULES).awaitReady();
        SynclineApp app = running.app;
        try {
            ProtocolClientModel alice = new ProtocolClientModel();
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the first rows", c -> ids(c, L1).equals(pgIds(running, "l1")));
                assertThat(ids(alice, L1)).contains("t1");
                running.db.execute("DROP TABLE todos",
                        "CREATE TABLE todos (id text PRIMARY KEY, list_id text, description text, done boolean, n int8)",
                        "INSERT INTO todos VALUES ('n1', 'l1', 're-created', false, 1), ('n2', 'l2', 'also', true, 2)");
                s.awaitComplete("the re-created table's rows", c -> ids(c, L1).equals(pgIds(running, "l1"))
                        && ids(c, L2).equals(pgIds(running, "l2")));
                // and it streams from the new generation: a later insert arrives live
                running.db.execute("INSERT INTO todos VALUES ('n3', 'l1', 'after the re-copy', false, 3)");
                s.awaitComplete("a row inserted after the re-copy", c -> ids(c, L1).contains("n3"));
            }
            assertThat(ids(alice, L1)).containsExactlyInAnyOrder("l1", "n1", "n3");
            assertThat(diagnostics(app).path("generations").path("active").path("id").asInt()).isEqualTo(1);
        } finally {
            app.close();
            running.db.close();
        }
    }

    /** With {@code SELECT *}, a column added, then one retyped, reach the rows stored before through a re-copy each. */
    @Test
    void aColumnAddedAndOneRetypedWhileServingReachEveryStoredRowOfConnectedClients() throws Exception {
        RunningApp running = RunningApp.start(server.server(), dir, extraYaml(""), RunningApp.MEMBERSHIP_RULES).awaitReady();
        SynclineApp app = running.app;
        try {
            running.db.execute("INSERT INTO todos SELECT 'x' || g, 'l1', 'bulk ' || g, false, g FROM generate_series(1, 50) g");
            ProtocolClientModel alice = new ProtocolClientModel();
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the first rows", c -> ids(c, L1).equals(pgIds(running, "l1")));
                assertThat(todos(alice)).allSatisfy(row -> assertThat(row.has("prio")).isFalse());
                running.db.execute("ALTER TABLE todos ADD COLUMN prio int DEFAULT 7");
                s.awaitComplete("every todo with the new column", c -> todos(c).size() == 52
                        && todos(c).stream().allMatch(row -> row.path("prio").asInt() == 7));
                // retyped: int8 → text, so every stored row's n becomes a JSON string
                running.db.execute("ALTER TABLE todos ALTER COLUMN n TYPE text USING n::text");
                s.awaitComplete("every todo with the retyped column", c -> todos(c).size() == 52
                        && todos(c).stream().allMatch(row -> row.path("n").isTextual()));
            }
            assertThat(ids(alice, L1)).isEqualTo(pgIds(running, "l1"));
            assertThat(diagnostics(app).path("generations").path("active").path("id").asInt()).isEqualTo(2);
        } finally {
            app.close();
            running.db.close();
        }
    }

    /** A table added to the rules (a new data query) is copied with the new generation and reaches clients. */
    @Test
    void aTableAddedToTheRulesReachesConnectedClientsThroughReprocess() throws Exception {
        RunningApp running = RunningApp.start(server.server(), dir, extraYaml(""), OLD_RULES).awaitReady();
        SynclineApp app = running.app;
        try {
            running.db.execute("CREATE TABLE notes (id text PRIMARY KEY, list_id text, body text)",
                    "INSERT INTO notes VALUES ('n1', 'l1', 'a note'), ('n2', 'l3', 'bob''s note')");
            ProtocolClientModel alice = new ProtocolClientModel();
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the first rows", c -> ids(c, L1).equals(pgIds(running, "l1")));
                Files.writeString(dir.resolve("rules.yaml"), OLD_RULES
                        + "      - SELECT id, list_id, body FROM notes WHERE list_id = bucket.list_id\n");
                assertThat(reprocess(app, "Bearer " + ADMIN_TOKEN).statusCode()).isEqualTo(202);
                s.awaitComplete("the new table's row", c -> ids(c, L1).contains("n1"));
                running.db.execute("INSERT INTO notes VALUES ('n3', 'l1', 'written after')");
                s.awaitComplete("a later note, live", c -> ids(c, L1).contains("n3"));
            }
            assertThat(ids(alice, L1)).containsAll(pgIds(running, "l1")).contains("n1", "n3").doesNotContain("n2");
        } finally {
            app.close();
            running.db.close();
        }
    }

    /** The slot dropped (and a transaction committed) while the server was stopped: copied again, no row lost. */
    @Test
    void aSlotDroppedWhileStoppedIsReplacedByANewGenerationWithTheGapTransaction() throws Exception {
        RunningApp running = RunningApp.start(server.server(), dir, extraYaml(""), OLD_RULES).awaitReady();
        SynclineApp app = running.app;
        try {
            String slot = diagnostics(app).path("generations").path("active").path("slot_name").asText();
            app.close();
            running.db.execute("INSERT INTO todos VALUES ('t-gap', 'l1', 'committed while stopped', false, 1)");
            awaitSlotIdle(running, slot);
            running.db.execute("SELECT pg_drop_replication_slot('" + slot + "')");
            app = restart(running, dir);
            ProtocolClientModel alice = new ProtocolClientModel();
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("every row, the gap's included", c -> ids(c, L1).equals(pgIds(running, "l1")));
            }
            assertThat(ids(alice, L1)).contains("t-gap");
            JsonNode active = diagnostics(app).path("generations").path("active");
            assertThat(active.path("id").asInt()).isEqualTo(1);
            assertThat(active.path("slot_name").asText()).isEqualTo(slot + "_g1");
        } finally {
            app.close();
            running.db.close();
        }
    }

    void awaitSlotIdle(RunningApp running, String slot) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!strings(running, "SELECT slot_name FROM pg_replication_slots WHERE slot_name = '" + slot
                + "' AND active_pid IS NOT NULL").isEmpty()) {
            assertThat(System.nanoTime()).as("slot %s released", slot).isLessThan(end);
            Thread.sleep(100);
        }
    }

    @Test
    void validateChecksTheRulesFileAndTheSourceWithoutChangingAnything() throws Exception {
        try (RunningApp running = RunningApp.start(server.server(), dir, extraYaml(""), OLD_RULES).awaitReady()) {
            assertThat(admin(running.app, "validate", null).statusCode()).isEqualTo(401);
            assertThat(admin(running.app, "validate", "Bearer " + running.token("alice")).statusCode()).isEqualTo(401);

            JsonNode same = JSON.readTree(admin(running.app, "validate", "Bearer " + ADMIN_TOKEN).body());
            assertThat(same.path("valid").asBoolean()).as(same.toString()).isTrue();
            assertThat(same.path("same_as_serving").asBoolean()).isTrue();

            Files.writeString(dir.resolve("rules.yaml"), NEW_RULES.replace("FROM todos", "FROM todoz"));
            JsonNode missingTable = JSON.readTree(admin(running.app, "validate", "Bearer " + ADMIN_TOKEN).body());
            assertThat(missingTable.path("valid").asBoolean()).as(missingTable.toString()).isFalse();
            assertThat(missingTable.path("source_checks").toString()).contains("todoz");

            Files.writeString(dir.resolve("rules.yaml"), "bucket_definitions:\n  broken:\n    data: [SELECT FROM]\n");
            JsonNode broken = JSON.readTree(admin(running.app, "validate", "Bearer " + ADMIN_TOKEN).body());
            assertThat(broken.path("valid").asBoolean()).isFalse();
            assertThat(broken.path("errors").get(0).path("line").asInt()).isPositive();
            HttpResponse<String> refused = admin(running.app, "reprocess", "Bearer " + ADMIN_TOKEN);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
            assertThat(refused.body()).contains("SYNC_G1202");
            assertThat(diagnostics(running.app).path("generations").path("building").isNull()).isTrue();
            System.out.println("validate: same rules valid, missing table and broken rules refused; reprocess of "
                    + "broken rules answered " + refused.statusCode());
        }
    }

    @Test
    void onPostgresqlStorageEachGenerationIsASchemaAndTheSwitchWorksTheSame() throws Exception {
        String extra = extraYaml("");
        RunningApp running = RunningApp.start(server.server(), dir, extra, OLD_RULES).awaitReady();
        running.app.close();   // only the database and the config of RunningApp are used from here on
        Path config = dir.resolve("syncline.yaml");
        String slot = extra.substring(extra.indexOf("slot_name: ") + 11, extra.indexOf('\n'));
        Files.writeString(config, Files.readString(config)
                .replace("storage:\n  path: ./storage/syncline.db\n",
                        "storage:\n  type: postgresql\n  uri: ${PG_URI}\n  sslmode: disable\n  schema: gen_store\n")
                .replace(slot, slot + "_pg"));
        running.db.execute("INSERT INTO todos SELECT 'x' || g, 'l1', 'bulk ' || g, g % 2 = 0, g "
                + "FROM generate_series(1, 100) g");
        SynclineApp app = restart(running, dir);
        try {
            ProtocolClientModel alice = new ProtocolClientModel();
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the old rules' rows", c -> c.rows.getOrDefault(L1, Map.of()).size() == 102);
            }
            Files.writeString(dir.resolve("rules.yaml"), NEW_RULES);
            HttpResponse<String> accepted = reprocess(app, "Bearer " + ADMIN_TOKEN);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            try (Stream s = new Stream(app, running.token("alice"), "c-alice", alice)) {
                s.awaitComplete("the new rules' rows", c -> todos(c).size() == 102
                        && todos(c).stream().allMatch(row -> row.has("done")));
            }
            assertThat(ids(alice, L1)).isEqualTo(pgIds(running, "l1"));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!strings(running, "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                    + "WHERE table_schema = 'gen_store' ORDER BY 1").equals(List.of("gen_store.generation_manifest",
                    "gen_store.replicator_lease"))) {   // the lease outlives every generation
                assertThat(System.nanoTime()).as("generation 0's tables dropped").isLessThan(end);
                Thread.sleep(200);
            }
            assertThat(strings(running, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'gen_store_g1'"))
                    .doesNotContain("0");
            app.close();
            app = restart(running, dir);   // same rules: generation 1 serves, nothing is rebuilt
            JsonNode generations = diagnostics(app).path("generations");
            assertThat(generations.path("active").path("id").asInt()).isEqualTo(1);
            assertThat(generations.path("building").isNull()).isTrue();
            System.out.println("postgresql storage: switched to schema gen_store_g1, " + todos(alice).size()
                    + " todos with `done`");
        } finally {
            app.close();
            running.db.close();
        }
    }

    @Test
    void electricShapesAreRefetchedWithTheNewRulesColumnsAfterTheSwitch() throws Exception {
        try (RunningApp running = RunningApp.start(server.server(), dir, extraYaml(""), OLD_RULES).awaitReady()) {
            HttpResponse<String> before = shape(running, "table=todos&offset=-1");
            assertThat(before.statusCode()).as(before.body()).isEqualTo(200);
            assertThat(before.body()).contains("\"t1\"").doesNotContain("\"done\"");
            String handle = before.headers().firstValue("electric-handle").orElseThrow();
            String offset = before.headers().firstValue("electric-offset").orElseThrow();

            Files.writeString(dir.resolve("rules.yaml"), NEW_RULES);
            assertThat(reprocess(running.app, "Bearer " + ADMIN_TOKEN).statusCode()).isEqualTo(202);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (diagnostics(running.app).path("generations").path("active").path("id").asInt() != 1) {
                assertThat(System.nanoTime()).as("switch").isLessThan(end);
                Thread.sleep(100);
            }
            String metrics = http.send(HttpRequest.newBuilder(URI.create(running.endpoint() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("syncline_generation 1.0", "syncline_generation_building -1.0",
                    "syncline_capture_up 1.0", "syncline_generation_snapshot_rows_copied NaN");
            HttpResponse<String> resumed = shape(running, "table=todos&handle=" + handle + "&offset=" + offset);
            assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(409);
            HttpResponse<String> after = shape(running, "table=todos&offset=-1");
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            assertThat(after.body()).contains("\"t1\"").contains("\"done\"");
            System.out.println("electric shape: old handle answered " + resumed.statusCode()
                    + " after the switch; refetched rows carry `done`");
        }
    }

    HttpResponse<String> shape(RunningApp running, String query) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(running.endpoint() + "/v1/shape?" + query))
                .header("Authorization", "Bearer " + running.token("alice")).build(), HttpResponse.BodyHandlers.ofString());
    }

    // --- helpers ---

    static List<JsonNode> todos(ProtocolClientModel c) {
        List<JsonNode> out = new ArrayList<>();
        for (Map<String, String> bucket : c.rows.values()) {
            bucket.forEach((id, data) -> {
                if (!id.startsWith("l")) {
                    try {
                        out.add(JSON.readTree(data));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
            });
        }
        return out;
    }

    static List<String> strings(RunningApp running, String sql) {
        try (var c = running.db.connect(); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    static Set<String> ids(ProtocolClientModel c, String bucket) {
        return new TreeSet<>(c.rows.getOrDefault(bucket, Map.of()).keySet());
    }

    static Set<String> pgIds(RunningApp running, String list) {
        Set<String> out = new TreeSet<>(strings(running, "SELECT id FROM todos WHERE list_id = '" + list + "'"));
        out.add(list);
        return out;
    }

    void awaitSlots(RunningApp running, String pattern, Set<String> expected) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Set<String> slotsNow;
        while (!(slotsNow = new HashSet<>(strings(running, "SELECT slot_name FROM pg_replication_slots "
                + "WHERE slot_name LIKE '" + pattern + "'"))).equals(expected)) {
            assertThat(System.nanoTime()).as("slots %s become %s", slotsNow, expected).isLessThan(end);
            Thread.sleep(200);
        }
    }

    JsonNode diagnostics(SynclineApp app) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port()
                + "/api/admin/v1/diagnostics")).header("Authorization", "Bearer " + ADMIN_TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    HttpResponse<String> reprocess(SynclineApp app, String authorization) throws Exception {
        return admin(app, "reprocess", authorization);
    }

    HttpResponse<String> admin(SynclineApp app, String action, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port()
                + "/api/admin/v1/" + action)).POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One sync stream applying lines to a client model; a resuming client sends its bucket positions. */
    final class Stream implements AutoCloseable {
        final ProtocolClientModel model;
        final String clientId;
        final BlockingQueue<SyncLine> lines = new ArrayBlockingQueue<>(1_000_000);
        final InputStream body;
        final AtomicInteger completions = new AtomicInteger();
        private volatile List<String> anomalies;
        /** In background mode: the rows as of the last completed checkpoint. */
        private volatile ProtocolClientModel completed;
        private Thread applier;

        Stream(SynclineApp app, String token, String clientId, ProtocolClientModel model) throws Exception {
            this.model = model;
            this.clientId = clientId;
            StringBuilder buckets = new StringBuilder();
            for (var p : model.positions().entrySet()) {
                buckets.append(buckets.isEmpty() ? "" : ",").append("{\"name\":")
                        .append(JSON.writeValueAsString(p.getKey())).append(",\"after\":\"").append(p.getValue())
                        .append("\"}");
            }
            String request = "{\"client_id\":\"" + clientId + "\",\"buckets\":[" + buckets + "]}";
            HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/sync/stream"))
                    .header("Authorization", "Token " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(request)).build();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            HttpResponse<InputStream> response;
            while ((response = http.send(r, HttpResponse.BodyHandlers.ofInputStream())).statusCode() == 503) {
                response.body().close();
                assertThat(System.nanoTime()).as("server ready").isLessThan(end);
                Thread.sleep(100);
            }
            assertThat(response.statusCode()).isEqualTo(200);
            body = response.body();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        lines.add(SyncLineParser.ndjson(line));
                    }
                } catch (Exception ignored) {
                    // closed by the test
                }
            });
        }

        /** Applies lines until a checkpoint completes with the condition true. */
        void awaitComplete(String what, Predicate<ProtocolClientModel> condition) throws Exception {
            if (applier != null) {
                awaitInBackground(what, condition);
                return;
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < end) {
                SyncLine line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null && apply(line) && condition.test(model)) {
                    return;
                }
            }
            throw new AssertionError(clientId + ": not reached within 120 s: " + what);
        }

        private boolean apply(SyncLine line) {
            model.accept(line);   // throws on a checksum mismatch, a gap or data outside the checkpoint
            if (line instanceof SyncLine.CheckpointComplete) {
                completions.incrementAndGet();
                List<String> sink = anomalies;
                if (sink != null) {
                    // every list the user is a member of holds at least its own row and its bulk rows
                    for (Map.Entry<String, Map<String, String>> b : model.rows.entrySet()) {
                        if (b.getValue().size() < 100) {
                            sink.add(clientId + ": bucket " + b.getKey() + " had " + b.getValue().size()
                                    + " rows at a completed checkpoint");
                        }
                    }
                }
                if (applier != null) {
                    ProtocolClientModel copy = new ProtocolClientModel();
                    model.rows.forEach((b, rows) -> copy.rows.put(b, new java.util.TreeMap<>(rows)));
                    completed = copy;
                }
                return true;
            }
            return false;
        }

        /** From now on applies lines on a thread of its own, checking every completed checkpoint. */
        void watchCompletions(List<String> sink) {
            anomalies = sink;
            applier = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        SyncLine line = lines.poll(1, TimeUnit.SECONDS);
                        if (line != null) {
                            synchronized (model) {
                                apply(line);
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    // closed
                } catch (Throwable t) {
                    sink.add(clientId + ": " + t);
                }
            });
        }

        private void awaitInBackground(String what, Predicate<ProtocolClientModel> condition) throws Exception {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < end) {
                ProtocolClientModel c = completed;
                if (c != null && condition.test(c)) {
                    return;
                }
                Thread.sleep(100);
            }
            throw new AssertionError(clientId + ": not reached within 120 s: " + what);
        }

        @Override
        public void close() throws Exception {
            if (applier != null) {
                applier.interrupt();
            }
            body.close();
        }
    }
}
