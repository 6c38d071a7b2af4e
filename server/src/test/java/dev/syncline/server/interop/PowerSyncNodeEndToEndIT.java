package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The stock {@code @powersync/node} client against the whole Syncline server: real PostgreSQL,
 * real sync rules, SQLite bucket storage, a real JWT. The client ends up with exactly the rows its
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
        Optional<Path> nodeOnPath = NodeSyncClient.findNode();
        Optional<Path> root = NodeSyncClient.findRepoRoot();
        boolean installed = root.isPresent()
                && Files.isDirectory(root.get().resolve("clients/interop-node/node_modules/@powersync/node"));
        if ((nodeOnPath.isEmpty() || !installed) && "true".equals(System.getenv("CI"))) {
            fail("node and clients/interop-node/node_modules are required in CI (.ci/run installs them)");
        }
        assumeTrue(nodeOnPath.isPresent() && installed, "node or clients/interop-node/node_modules missing");
        node = nodeOnPath.get();
        repoRoot = root.get();
        server = PostgresTestServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theStockClientSyncsAliceRowsAndALiveInsert() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir).awaitReady();
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
