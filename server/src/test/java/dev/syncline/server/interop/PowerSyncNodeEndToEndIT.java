package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stock {@code @powersync/node} client against the whole Syncline server: real PostgreSQL,
 * real sync rules, SQLite bucket storage ({@link PowerSyncNodeEndToEndOnPostgresStorageIT}: PostgreSQL), a real JWT. The client ends up with exactly the rows its
 * user's memberships grant, and a row inserted into PostgreSQL while it is connected arrives.
 */
class PowerSyncNodeEndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Map<String, String>> SCHEMA = Map.of(
            "lists", Map.of("name", "text", "owner_id", "text"),
            "todos", Map.of("list_id", "text", "description", "text", "done", "integer", "n", "integer"));
    static PostgresTestServer server;
    static Path node;
    static Path repoRoot;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        NodeSyncClient.Installed installed = NodeSyncClient.require("clients/interop-node/node_modules/@powersync/node",
                "clients/interop-node/node_modules/better-sqlite3/build");
        node = installed.node();
        repoRoot = installed.repoRoot();
        server = PostgresTestServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Bucket storage in SQLite here; the subclass runs every test with PostgreSQL storage. */
    boolean postgresStorage() {
        return false;
    }

    @Test
    void theStockClientSyncsAliceRowsAndALiveInsert() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", RunningApp.MEMBERSHIP_RULES, postgresStorage()).awaitReady();
             NodeSyncClient client = NodeSyncClient.start(node, repoRoot, running.endpoint(), running.token("alice"),
                     JSON.writeValueAsString(SCHEMA), "todos:t9", Duration.ofSeconds(60))) {
            JsonNode synced = client.nextEvent("synced", Duration.ofSeconds(70));
            assertThat(ids(synced, "lists")).containsExactlyInAnyOrder("l1", "l2");
            assertThat(ids(synced, "todos")).containsExactlyInAnyOrder("t1", "t2");
            JsonNode milk = row(synced, "todos", "t1");
            assertThat(milk.path("description").asText()).isEqualTo("Milk");
            assertThat(milk.path("done").asLong()).isZero();
            // (the script reads rows as JS numbers, so int8 exactness is checked on the wire in SynclineAppIT)
            assertThat(row(synced, "todos", "t2").path("n").asLong()).isEqualTo(1);
            assertThat(row(synced, "todos", "t2").path("done").asLong()).isEqualTo(1);

            running.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'added live', true, 9)",
                    "INSERT INTO todos VALUES ('t10', 'l3', 'not alice''s', false, 10)");
            JsonNode changed = client.nextEvent("changed", Duration.ofSeconds(60));
            assertThat(ids(changed, "todos")).containsExactlyInAnyOrder("t1", "t2", "t9");
            assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
        }
    }

    @Test
    void aLocalWriteComesBackAsTheServerVersionOnceItsWriteCheckpointArrives() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", RunningApp.MEMBERSHIP_RULES, postgresStorage()).awaitReady();
             JdbcUploadSideChannel backend = new JdbcUploadSideChannel(running.db);
             RecordingProxy proxy = new RecordingProxy(running.app.port(), Map.of())) {
            // The "app backend" stamps what it stores, so the server's version of the row differs from the local one.
            running.db.execute("CREATE FUNCTION stamp_todo() RETURNS trigger LANGUAGE plpgsql AS $$"
                            + " BEGIN NEW.description := NEW.description || ' (saved)'; NEW.n := 42; RETURN NEW; END $$",
                    "CREATE TRIGGER stamp_todo BEFORE INSERT ON todos FOR EACH ROW EXECUTE FUNCTION stamp_todo()");
            try (NodeSyncClient client = NodeSyncClient.start(node, repoRoot, "http://127.0.0.1:" + proxy.port(),
                    running.token("alice"), JSON.writeValueAsString(SCHEMA), null, Duration.ofSeconds(60),
                    "--write", "INSERT INTO todos (id, list_id, description, done) VALUES ('t7', 'l1', 'Walk the dog', 0)",
                    "--upload-url", backend.url(),
                    "--wait-sql", "SELECT 1 FROM todos WHERE id = 't7' AND n IS NOT NULL")) {
                client.nextEvent("synced", Duration.ofSeconds(70));
                JsonNode written = client.nextEvent("written", Duration.ofSeconds(10));
                assertThat(ids(written, "todos")).contains("t7");

                JsonNode changed = client.nextEvent("changed", Duration.ofSeconds(60));
                JsonNode t7 = row(changed, "todos", "t7");
                try (var c = running.db.connect(); var rs = c.createStatement().executeQuery(
                        "SELECT list_id, description, done::int AS done, n FROM todos WHERE id = 't7'")) {
                    assertThat(rs.next()).as("the upload reached PostgreSQL").isTrue();
                    assertThat(t7.path("list_id").asText()).isEqualTo(rs.getString("list_id"));
                    assertThat(t7.path("description").asText()).isEqualTo(rs.getString("description"))
                            .isEqualTo("Walk the dog (saved)");
                    assertThat(t7.path("done").asInt()).isEqualTo(rs.getInt("done")).isZero();
                    assertThat(t7.path("n").asLong()).isEqualTo(rs.getLong("n")).isEqualTo(42);
                }
                assertThat(changed.path("uploadQueue").asInt()).as("pending local changes").isZero();
                assertThat(ids(changed, "todos")).containsExactlyInAnyOrder("t1", "t2", "t7");
                assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
            }
            assertThat(backend.received).as("uploads").hasSize(1);
            assertThat(proxy.requests).as("requests:\n%s", proxy.describe()).anySatisfy(r -> {
                assertThat(r.method()).isEqualTo("GET");
                assertThat(r.path()).startsWith("/write-checkpoint2.json?client_id=");
            });
        }
    }

    private static List<String> ids(JsonNode event, String table) {
        List<String> ids = new ArrayList<>();
        event.path("tables").path(table).path("rows").forEach(r -> ids.add(r.path("id").asText()));
        return ids;
    }

    private static JsonNode row(JsonNode event, String table, String id) {
        for (JsonNode r : event.path("tables").path(table).path("rows")) {
            if (r.path("id").asText().equals(id)) {
                return r;
            }
        }
        throw new AssertionError("no row " + id + " in " + table);
    }
}
