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
 * Sync Streams with the stock {@code @powersync/web} client in headless Chromium (clients/interop-web)
 * against the whole server, with {@link PowerSyncNodeStreamsIT}'s rules: the {@code auto_subscribe}
 * JOIN stream syncs alone, {@code db.syncStream('list_todos', {list_id}).subscribe()} adds exactly
 * that list's todos, and a todo inserted later arrives only for the subscribed list.
 */
class PowerSyncWebStreamsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final Map<String, Map<String, String>> SCHEMA = Map.of(
            "lists", Map.of("name", "text", "owner_id", "text"),
            "todos", Map.of("list_id", "text", "description", "text"));
    static PostgresTestServer server;
    static NodeSyncClient.Installed installed;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        installed = NodeSyncClient.require("clients/interop-web/node_modules/@powersync/web",
                "clients/interop-web/node_modules/playwright-core", "clients/interop-web/dist/page.js", CHROMIUM);
        server = PostgresTestServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theBrowserClientSubscribesToAStreamAndGetsExactlyItsRows() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", StreamsFixture.RULES).awaitReady();
             NodeSyncClient browser = NodeSyncClient.startScript(installed.node(), installed.repoRoot(),
                     "clients/interop-web/run-browser.mjs", List.of(
                             "--endpoint", running.endpoint(), "--token", running.token("alice"),
                             "--schema", JSON.writeValueAsString(SCHEMA), "--subscribe", "list_todos:{\"list_id\":\"l1\"}",
                             "--wait-for", "todos:t4", "--chromium", CHROMIUM, "--timeout-ms", "150000"))) {
            JsonNode synced = browser.nextEvent("synced", Duration.ofSeconds(120));
            assertThat(ids(synced, "lists")).as("the auto_subscribe stream alone").containsExactly("l1", "l2");
            assertThat(ids(synced, "todos")).isEmpty();

            JsonNode subscribed = browser.nextEvent("subscribed", Duration.ofSeconds(60));
            assertThat(ids(subscribed, "todos")).containsExactly("t1");
            assertThat(ids(subscribed, "lists")).containsExactly("l1", "l2");
            assertThat(subscribed.path("streams")).anySatisfy(s -> {
                assertThat(s.path("name").asText()).isEqualTo("list_todos");
                assertThat(s.path("parameters").path("list_id").asText()).isEqualTo("l1");
                assertThat(s.path("hasSynced").asBoolean()).isTrue();
            });

            running.db.execute("INSERT INTO todos VALUES ('t4', 'l1', 'live', false, 4)",
                    "INSERT INTO todos VALUES ('t5', 'l2', 'not subscribed', false, 5)");
            JsonNode changed = browser.nextEvent("changed", Duration.ofSeconds(60));
            assertThat(ids(changed, "todos")).containsExactly("t1", "t4");
            assertThat(browser.awaitExit(Duration.ofSeconds(20))).as("stderr:\n%s", browser.stderr()).isZero();
        }
    }

    private static List<String> ids(JsonNode event, String table) {
        List<String> ids = new ArrayList<>();
        event.path("tables").path(table).path("rows").forEach(r -> ids.add(r.path("id").asText()));
        return ids;
    }
}
