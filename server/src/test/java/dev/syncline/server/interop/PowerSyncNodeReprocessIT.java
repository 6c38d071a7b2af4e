package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stock {@code @powersync/node} client stays connected while the sync rules change (one column
 * added to a data query) and the server reprocesses them into a new storage generation: the
 * client never sees fewer rows than before (no empty app), gets no checksum mismatch, and ends
 * with exactly the new rules' rows, the new column filled in every one.
 */
class PowerSyncNodeReprocessIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    private static final String OLD_RULES = """
            bucket_definitions:
              user_lists:
                parameters: SELECT list_id FROM list_members WHERE user_id = request.user_id()
                data:
                  - SELECT id, name FROM lists WHERE id = bucket.list_id
                  - SELECT id, list_id, description FROM todos WHERE list_id = bucket.list_id
            """;
    private static final String NEW_RULES = OLD_RULES.replace("SELECT id, list_id, description FROM todos",
            "SELECT id, list_id, description, done FROM todos");
    private static final Map<String, Map<String, String>> SCHEMA = Map.of(
            "lists", Map.of("name", "text"),
            "todos", Map.of("list_id", "text", "description", "text", "done", "integer"));
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

    @Test
    void theStockClientMovesToTheNewRulesWithoutAnEmptyStateOrAChecksumMismatch() throws Exception {
        String extra = "  slot_name: node_reprocess\n  publication_name: node_reprocess\nadmin:\n  token: "
                + ADMIN_TOKEN + "\n";
        try (RunningApp running = RunningApp.start(server, dir, extra, OLD_RULES).awaitReady()) {
            running.db.execute("INSERT INTO todos SELECT 'x' || g, 'l1', 'bulk ' || g, g % 2 = 0, g "
                    + "FROM generate_series(1, 300) g");
            awaitStored(running, 302);   // so the client's first sync holds them all
            // 302 todos before (t1, t2, x1..x300), 307 after the 5 written during the reprocess
            try (NodeSyncClient client = NodeSyncClient.start(node, repoRoot, running.endpoint(), running.token("alice"),
                    JSON.writeValueAsString(SCHEMA), "todos:#302", Duration.ofSeconds(120),
                    "--wait-sql", "SELECT 1 FROM (SELECT count(*) AS n, count(done) AS d FROM todos) WHERE n = 307 AND d = 307",
                    "--track-sql", "SELECT count(*) AS n FROM todos")) {
                JsonNode synced = client.nextEvent("synced", Duration.ofSeconds(60));
                assertThat(synced.path("tables").path("todos").path("rows")).hasSize(302);
                Files.writeString(dir.resolve("rules.yaml"), NEW_RULES);
                HttpResponse<String> accepted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(running.endpoint() + "/api/admin/v1/reprocess"))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                for (int i = 1; i <= 5; i++) {
                    running.db.execute("INSERT INTO todos VALUES ('n" + i + "', 'l1', 'during the build', true, " + i + ")");
                }

                JsonNode changed = client.nextEvent("changed", Duration.ofSeconds(120));
                JsonNode rows = changed.path("tables").path("todos").path("rows");
                assertThat(rows).hasSize(307);
                int withDone = 0;
                for (JsonNode row : rows) {
                    withDone += row.path("done").isNull() ? 0 : 1;
                }
                assertThat(withDone).isEqualTo(307);
                JsonNode tracked = changed.path("tracked");
                System.out.println("stock client across the reprocess: " + rows.size() + " todos, " + withDone
                        + " with `done`; todos seen meanwhile min " + tracked.path("min") + " max "
                        + tracked.path("max") + " over " + tracked.path("samples") + " samples; checksum failures "
                        + changed.path("checksumFailures"));
                assertThat(tracked.path("min").asInt()).as("never fewer rows than before the switch").isGreaterThanOrEqualTo(302);
                assertThat(changed.path("checksumFailures").asInt()).isZero();
                assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
            }
        }
    }

    /** Waits until storage holds {@code rows} rows in alice's shared list (l1 itself, t1 and the bulk). */
    private static void awaitStored(RunningApp running, int rows) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            HttpResponse<String> d = http.send(HttpRequest.newBuilder(URI.create(running.endpoint()
                    + "/api/admin/v1/diagnostics")).header("Authorization", "Bearer " + ADMIN_TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (JsonNode b : JSON.readTree(d.body()).path("largest_buckets")) {
                if (b.path("bucket").asText().equals("user_lists[\"l1\"]") && b.path("rows").asInt() == rows) {
                    return;
                }
            }
            assertThat(System.nanoTime()).as("storage holds the bulk rows").isLessThan(end);
            Thread.sleep(100);
        }
    }
}
