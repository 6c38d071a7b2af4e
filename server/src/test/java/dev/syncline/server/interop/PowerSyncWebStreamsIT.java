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
 * against the whole server, with {@link StreamsFixture}'s rules: the {@code auto_subscribe}
 * JOIN stream syncs alone, {@code db.syncStream('list_todos', {list_id}).subscribe()} adds exactly
 * that list's todos, and a todo inserted later arrives only for the subscribed list; the JOIN grants
 * and revokes lists as memberships change; an unsubscribed stream's rows go once its TTL has run
 * out; a priority-1 stream completes before a priority-3 one. The later tests drive the page with
 * {@code run-browser.mjs --commands} (stdin commands, as {@code interop-node/streams.mjs}).
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

    NodeSyncClient interactive(RunningApp running, String user) throws Exception {
        return NodeSyncClient.startScript(installed.node(), installed.repoRoot(), "clients/interop-web/run-browser.mjs", List.of(
                "--endpoint", running.endpoint(), "--token", running.token(user), "--schema", JSON.writeValueAsString(SCHEMA),
                "--commands", "--chromium", CHROMIUM, "--timeout-ms", "150000"));
    }

    @Test
    void aJoinOverMembershipsGrantsAndRevokesListsLive() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", StreamsFixture.RULES).awaitReady();
             NodeSyncClient browser = interactive(running, "alice")) {
            assertThat(ids(browser.nextEvent("synced", Duration.ofSeconds(120)), "lists")).containsExactly("l1", "l2");

            running.db.execute("INSERT INTO list_members VALUES ('l3', 'alice')");
            browser.send("{\"cmd\":\"wait\",\"sql\":\"SELECT 1 FROM lists WHERE id = 'l3'\"}");
            assertThat(ids(browser.nextEvent("waited", Duration.ofSeconds(60)), "lists")).containsExactly("l1", "l2", "l3");

            running.db.execute("DELETE FROM list_members WHERE list_id = 'l2' AND user_id = 'alice'");
            browser.send("{\"cmd\":\"wait\",\"sql\":\"SELECT 1 FROM lists WHERE id = 'l2'\",\"present\":false}");
            assertThat(ids(browser.nextEvent("waited", Duration.ofSeconds(60)), "lists")).containsExactly("l1", "l3");
            browser.send("{\"cmd\":\"close\"}");
            assertThat(browser.awaitExit(Duration.ofSeconds(20))).as("stderr:\n%s", browser.stderr()).isZero();
        }
    }

    @Test
    void anUnsubscribedStreamsRowsGoOnceItsTtlHasPassed() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", StreamsFixture.RULES).awaitReady();
             NodeSyncClient browser = interactive(running, "alice")) {
            browser.nextEvent("synced", Duration.ofSeconds(120));
            browser.send("{\"cmd\":\"subscribe\",\"stream\":\"list_todos\",\"params\":{\"list_id\":\"l2\"},\"ttl\":1}");
            assertThat(ids(browser.nextEvent("subscribed", Duration.ofSeconds(60)), "todos")).containsExactly("t2");

            browser.send("{\"cmd\":\"unsubscribe\",\"stream\":\"list_todos\",\"params\":{\"list_id\":\"l2\"}}");
            browser.nextEvent("unsubscribed", Duration.ofSeconds(20));
            browser.send("{\"cmd\":\"wait\",\"sql\":\"SELECT 1 FROM todos WHERE id = 't2'\",\"present\":false}");
            JsonNode gone = browser.nextEvent("waited", Duration.ofSeconds(90));
            assertThat(ids(gone, "todos")).isEmpty();
            assertThat(ids(gone, "lists")).containsExactly("l1", "l2");
            browser.send("{\"cmd\":\"close\"}");
            assertThat(browser.awaitExit(Duration.ofSeconds(20))).as("stderr:\n%s", browser.stderr()).isZero();
        }
    }

    @Test
    void aPriorityOneStreamCompletesBeforeAPriorityThreeOne() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", StreamsFixture.PRIORITY_RULES).awaitReady();
             NodeSyncClient browser = interactive(running, "alice")) {
            browser.nextEvent("synced", Duration.ofSeconds(120));
            browser.send("{\"cmd\":\"wait\",\"sql\":\"SELECT 1 FROM todos WHERE id = 't2'\"}");
            JsonNode synced = browser.nextEvent("waited", Duration.ofSeconds(60));
            assertThat(ids(synced, "lists")).containsExactly("l1", "l2");
            assertThat(ids(synced, "todos")).containsExactly("t1", "t2");
            JsonNode order = synced.path("firstSynced");
            List<String> names = new ArrayList<>();
            order.forEach(f -> names.add(f.path("name").asText()));
            assertThat(names).as("%s", order).containsExactly("lists_first", "todos_later");
            assertThat(order.get(0).path("seq").asInt()).as("lists_first completed in an earlier status than todos_later: %s", order)
                    .isLessThan(order.get(1).path("seq").asInt());
            browser.send("{\"cmd\":\"close\"}");
            assertThat(browser.awaitExit(Duration.ofSeconds(20))).as("stderr:\n%s", browser.stderr()).isZero();
        }
    }

    private static List<String> ids(JsonNode event, String table) {
        List<String> ids = new ArrayList<>();
        event.path("tables").path(table).path("rows").forEach(r -> ids.add(r.path("id").asText()));
        return ids;
    }
}
