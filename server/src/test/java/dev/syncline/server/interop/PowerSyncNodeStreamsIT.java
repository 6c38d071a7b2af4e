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
 * Sync Streams with the stock {@code @powersync/node} client against the whole server: an
 * {@code auto_subscribe} stream syncs without a subscription, a parameterised stream syncs exactly
 * the subscribed rows the user may see, an edition-3 JOIN over the membership table grants and
 * revokes rows as memberships change, an unsubscribed stream's rows go once its TTL passes, and a
 * priority-1 stream completes (in the SDK's status) before a priority-3 one.
 */
class PowerSyncNodeStreamsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Map<String, String>> SCHEMA = Map.of(
            "lists", Map.of("name", "text", "owner_id", "text"),
            "todos", Map.of("list_id", "text", "description", "text"));
    static final String RULES = StreamsFixture.RULES;
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

    NodeSyncClient client(RunningApp running, String user) throws Exception {
        return NodeSyncClient.startScript(node, repoRoot, "clients/interop-node/streams.mjs", List.of(
                "--endpoint", running.endpoint(), "--token", running.token(user),
                "--schema", JSON.writeValueAsString(SCHEMA), "--timeout-ms", "120000"));
    }

    @Test
    void aDefaultStreamSyncsAloneAndASubscriptionAddsOnlyTheRowsTheUserMaySee() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", RULES).awaitReady();
             NodeSyncClient alice = client(running, "alice")) {
            JsonNode synced = alice.nextEvent("synced", Duration.ofSeconds(90));
            assertThat(ids(synced, "lists")).containsExactly("l1", "l2");
            assertThat(ids(synced, "todos")).isEmpty();

            alice.send("{\"cmd\":\"subscribe\",\"stream\":\"list_todos\",\"params\":{\"list_id\":\"l1\"}}");
            JsonNode subscribed = alice.nextEvent("subscribed", Duration.ofSeconds(60));
            assertThat(ids(subscribed, "todos")).containsExactly("t1");

            // l3 is bob's: subscribing is allowed, but the subquery grants no row of it.
            alice.send("{\"cmd\":\"subscribe\",\"stream\":\"list_todos\",\"params\":{\"list_id\":\"l3\"}}");
            subscribed = alice.nextEvent("subscribed", Duration.ofSeconds(60));
            assertThat(ids(subscribed, "todos")).containsExactly("t1");

            running.db.execute("INSERT INTO todos VALUES ('t4', 'l1', 'live', false, 4)",
                    "INSERT INTO todos VALUES ('t5', 'l2', 'not subscribed', false, 5)");
            alice.send("{\"cmd\":\"wait\",\"sql\":\"SELECT 1 FROM todos WHERE id = 't4'\"}");
            JsonNode waited = alice.nextEvent("waited", Duration.ofSeconds(60));
            assertThat(ids(waited, "todos")).containsExactly("t1", "t4");
            alice.send("{\"cmd\":\"close\"}");
            assertThat(alice.awaitExit(Duration.ofSeconds(15))).as("stderr:\n%s", alice.stderr()).isZero();
        }
    }

    @Test
    void aJoinOverMembershipsGrantsAndRevokesRowsLive() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", RULES).awaitReady();
             NodeSyncClient alice = client(running, "alice")) {
            assertThat(ids(alice.nextEvent("synced", Duration.ofSeconds(90)), "lists")).containsExactly("l1", "l2");

            running.db.execute("INSERT INTO list_members VALUES ('l3', 'alice')");
            alice.send("{\"cmd\":\"wait\",\"sql\":\"SELECT 1 FROM lists WHERE id = 'l3'\"}");
            assertThat(ids(alice.nextEvent("waited", Duration.ofSeconds(60)), "lists")).containsExactly("l1", "l2", "l3");

            running.db.execute("DELETE FROM list_members WHERE list_id = 'l2' AND user_id = 'alice'");
            alice.send("{\"cmd\":\"wait\",\"sql\":\"SELECT 1 FROM lists WHERE id = 'l2'\",\"present\":false}");
            assertThat(ids(alice.nextEvent("waited", Duration.ofSeconds(60)), "lists")).containsExactly("l1", "l3");
            alice.send("{\"cmd\":\"close\"}");
            assertThat(alice.awaitExit(Duration.ofSeconds(15))).as("stderr:\n%s", alice.stderr()).isZero();
        }
    }

    @Test
    void anUnsubscribedStreamsRowsGoOnceItsTtlHasPassed() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", RULES).awaitReady();
             NodeSyncClient alice = client(running, "alice")) {
            alice.nextEvent("synced", Duration.ofSeconds(90));
            alice.send("{\"cmd\":\"subscribe\",\"stream\":\"list_todos\",\"params\":{\"list_id\":\"l2\"},\"ttl\":1}");
            assertThat(ids(alice.nextEvent("subscribed", Duration.ofSeconds(60)), "todos")).containsExactly("t2");

            alice.send("{\"cmd\":\"unsubscribe\",\"stream\":\"list_todos\",\"params\":{\"list_id\":\"l2\"}}");
            alice.nextEvent("unsubscribed", Duration.ofSeconds(10));
            alice.send("{\"cmd\":\"wait\",\"sql\":\"SELECT 1 FROM todos WHERE id = 't2'\",\"present\":false}");
            JsonNode gone = alice.nextEvent("waited", Duration.ofSeconds(90));
            assertThat(ids(gone, "todos")).isEmpty();
            assertThat(ids(gone, "lists")).containsExactly("l1", "l2");
            alice.send("{\"cmd\":\"close\"}");
            assertThat(alice.awaitExit(Duration.ofSeconds(15))).as("stderr:\n%s", alice.stderr()).isZero();
        }
    }

    @Test
    void aPriorityOneStreamCompletesBeforeAPriorityThreeOne() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir, "", StreamsFixture.PRIORITY_RULES).awaitReady();
             NodeSyncClient alice = client(running, "alice")) {
            JsonNode synced = alice.nextEvent("synced", Duration.ofSeconds(90));
            assertThat(ids(synced, "lists")).containsExactly("l1", "l2");
            assertThat(ids(synced, "todos")).containsExactly("t1", "t2");
            JsonNode order = synced.path("firstSynced");
            List<String> names = new ArrayList<>();
            order.forEach(f -> names.add(f.path("name").asText()));
            assertThat(names).as("%s", order).containsExactly("lists_first", "todos_later");
            assertThat(order.get(0).path("seq").asInt()).as("lists_first completed in an earlier status than todos_later: %s", order)
                    .isLessThan(order.get(1).path("seq").asInt());
            assertThat(synced.path("streams")).anySatisfy(s -> {
                assertThat(s.path("name").asText()).isEqualTo("lists_first");
                assertThat(s.path("priority").asInt()).isEqualTo(1);
            });
            alice.send("{\"cmd\":\"close\"}");
            assertThat(alice.awaitExit(Duration.ofSeconds(15))).as("stderr:\n%s", alice.stderr()).isZero();
        }
    }

    private static List<String> ids(JsonNode event, String table) {
        List<String> ids = new ArrayList<>();
        event.path("tables").path(table).forEach(id -> ids.add(id.asText()));
        return ids;
    }
}
