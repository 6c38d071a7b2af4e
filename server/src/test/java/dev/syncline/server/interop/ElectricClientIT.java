package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stock {@code @electric-sql/client} ({@code clients/interop-electric/shape-stream.mjs}) against
 * the whole server: real PostgreSQL, sync rules, JWT. Alice may read lists l1 and l2 and their todos;
 * t3 (list l3) is Bob's until Alice is made a member.
 */
class ElectricClientIT {
    static final String SCRIPT = "clients/interop-electric/shape-stream.mjs";
    static PostgresTestServer server;
    static Path node;
    static Path repoRoot;
    RunningApp running;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        NodeSyncClient.Installed installed = NodeSyncClient.require("clients/interop-electric/node_modules/@electric-sql/client");
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

    @BeforeEach
    void startApp() throws Exception {
        running = RunningApp.start(server, dir).awaitReady();
    }

    @AfterEach
    void stopApp() {
        running.close();
    }

    private NodeSyncClient shape(String user, String... extra) throws Exception {
        return shapeVia(running.endpoint(), user, extra);
    }

    private NodeSyncClient shapeVia(String endpoint, String user, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--url", endpoint + "/v1/shape", "--token",
                running.token(user), "--table", "todos", "--max-ms", "90000"));
        args.addAll(List.of(extra));
        return NodeSyncClient.startScript(node, repoRoot, SCRIPT, args);
    }

    /** Reads batches until the Shape's rows satisfy {@code done}; returns that batch. */
    private static JsonNode until(NodeSyncClient client, String what, Predicate<JsonNode> done) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            JsonNode batch = client.nextEvent("batch", Duration.ofSeconds(60));
            if (done.test(batch)) {
                return batch;
            }
        }
        throw new AssertionError("never saw " + what);
    }

    private static List<String> ids(JsonNode batch) {
        List<String> ids = new ArrayList<>();
        batch.path("rows").forEach(r -> ids.add(r.path("id").asText()));
        return ids;
    }

    private static JsonNode row(JsonNode batch, String id) {
        for (JsonNode r : batch.path("rows")) {
            if (r.path("id").asText().equals(id)) {
                return r;
            }
        }
        return null;
    }

    private void liveInsertUpdateDelete(String endpoint, String... transport) throws Exception {
        List<String> args = new ArrayList<>(List.of("--where", "done = $1 AND list_id != 'zzz'", "--params", "[\"false\"]",
                "--columns", "id,description,done,n"));
        args.addAll(List.of(transport));
        try (NodeSyncClient client = shapeVia(endpoint, "alice", args.toArray(String[]::new))) {
            JsonNode first = until(client, "the initial rows", b -> b.path("upToDate").asBoolean());
            assertThat(ids(first)).containsExactly("t1");
            JsonNode t1 = row(first, "t1");
            assertThat(t1.has("list_id")).as("columns narrows the row").isFalse();
            assertThat(t1.path("done").isBoolean()).as("bool parsed from 'f' by electric-schema").isTrue();
            assertThat(t1.path("n").asText()).as("int8 exact").isEqualTo("9007199254740993");

            running.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'Eggs', false, 3)",
                    "INSERT INTO todos VALUES ('t10', 'l3', 'Bob''s, not Alice''s', false, 4)");
            until(client, "t9 inserted", b -> ids(b).equals(List.of("t1", "t9")));
            running.db.execute("UPDATE todos SET description = 'Brown eggs' WHERE id = 't9'");
            until(client, "t9 updated", b -> row(b, "t9") != null && row(b, "t9").path("description").asText().equals("Brown eggs"));
            running.db.execute("UPDATE todos SET done = true WHERE id = 't1'");
            JsonNode last = until(client, "t1 leaving the where clause", b -> ids(b).equals(List.of("t9")));
            running.db.execute("DELETE FROM todos WHERE id = 't9'");
            last = until(client, "t9 deleted", b -> ids(b).isEmpty());
            assertThat(last.path("handle").asText()).isNotBlank();
        }
    }

    @Test
    void initialSyncWithWhereAndColumnsThenLiveChangesByLongPoll() throws Exception {
        liveInsertUpdateDelete(running.endpoint());
    }

    @Test
    void liveChangesBySse() throws Exception {
        try (RecordingProxy proxy = new RecordingProxy(running.app.port(), java.util.Map.of())) {
            liveInsertUpdateDelete("http://127.0.0.1:" + proxy.port(), "--sse");
            // The client falls back to long-polling when SSE fails; it must not have needed to.
            List<String> live = proxy.requests.stream().map(RecordingProxy.Request::path)
                    .filter(p -> p.contains("live=true")).toList();
            assertThat(live).as("live requests:\n%s", proxy.describe()).isNotEmpty()
                    .allSatisfy(p -> assertThat(p).contains("live_sse=true"));
            assertThat(live.size()).as("one SSE response carried several changes").isLessThan(4);
        }
    }

    @Test
    void aGrantAddedAndRevokedWhileLiveInsertsAndDeletesItsRows() throws Exception {
        try (NodeSyncClient client = shape("alice")) {
            JsonNode first = until(client, "the initial rows", b -> b.path("upToDate").asBoolean());
            assertThat(ids(first)).containsExactly("t1", "t2");
            running.db.execute("INSERT INTO list_members VALUES ('l3', 'alice')");
            until(client, "Bob's list granted", b -> ids(b).equals(List.of("t1", "t2", "t3")));
            running.db.execute("DELETE FROM list_members WHERE list_id = 'l3' AND user_id = 'alice'");
            JsonNode revoked = until(client, "Bob's list revoked", b -> ids(b).equals(List.of("t1", "t2")));
            assertThat(revoked.path("messages").toString()).contains("\"operation\":\"delete\"");
        }
    }

    @Test
    void aClientResumesFromAStoredOffsetAndHandle() throws Exception {
        String offset;
        String handle;
        try (NodeSyncClient client = shape("alice")) {
            JsonNode first = until(client, "the initial rows", b -> b.path("upToDate").asBoolean());
            offset = first.path("offset").asText();
            handle = first.path("handle").asText();
        }
        running.db.execute("INSERT INTO todos VALUES ('t9', 'l2', 'Eggs', false, 3)");
        try (NodeSyncClient client = shape("alice", "--offset", offset, "--handle", handle)) {
            JsonNode next = until(client, "the change since the offset", b -> !ids(b).isEmpty());
            assertThat(ids(next)).as("only what changed after the stored offset").containsExactly("t9");
            assertThat(next.path("handle").asText()).isEqualTo(handle);
        }
    }

    @Test
    void replicaFullUpdatesCarryOldValues() throws Exception {
        try (NodeSyncClient client = shape("alice", "--replica", "full")) {
            until(client, "the initial rows", b -> b.path("upToDate").asBoolean());
            running.db.execute("UPDATE todos SET description = 'Oat milk' WHERE id = 't1'");
            JsonNode batch = until(client, "the update", b -> b.path("messages").toString().contains("\"update\""));
            JsonNode update = null;
            for (JsonNode m : batch.path("messages")) {
                if ("update".equals(m.path("operation").asText())) {
                    update = m;
                }
            }
            assertThat(update.path("value").path("list_id").asText()).as("the whole new row").isEqualTo("l1");
            assertThat(update.path("old_value").path("description").asText()).isEqualTo("Milk");
        }
    }

    @Test
    void anOffsetTheServerNoLongerHasIsRefetchedCleanly() throws Exception {
        // a handle from before a restart (or evicted): 409 must-refetch, then the client starts over
        try (NodeSyncClient client = shape("alice", "--offset", "1000000_0", "--handle", "0123456789abcdef-1")) {
            JsonNode batch = until(client, "the refetched rows", b -> ids(b).equals(List.of("t1", "t2")));
            assertThat(batch.path("handle").asText()).isNotEqualTo("0123456789abcdef-1");
        }
    }

    /** Runs {@code syncline compact} (the CLI, in process) on the test server's storage; returns what it printed. */
    private String compact() {
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cli = dev.syncline.server.cli.SynclineCli.commandLine(new dev.syncline.server.cli.SynclineCli(
                java.util.Map.of("PG_URI", running.db.uri()), config -> { }));
        cli.setOut(new java.io.PrintWriter(out, true));
        int exit = cli.execute("compact", "--config", dir.resolve("syncline.yaml").toString());
        assertThat(exit).as(out.toString()).isZero();
        return out.toString();
    }

    /** Changes alice's shape: t2 deleted, t1 updated twice (superseded ops to compact), t9 inserted. */
    private void changeAndAwaitStored() throws Exception {
        running.db.execute("DELETE FROM todos WHERE id = 't2'", "UPDATE todos SET description = 'Oat milk' WHERE id = 't1'",
                "UPDATE todos SET description = 'Soy milk' WHERE id = 't1'", "INSERT INTO todos VALUES ('t9', 'l2', 'Eggs', false, 3)");
        // another shape (columns) tells when the changes are stored, without advancing the stored handle's log
        try (NodeSyncClient probe = shape("alice", "--columns", "id,description")) {
            until(probe, "the changes stored", b -> ids(b).equals(List.of("t1", "t9"))
                    && row(b, "t1").path("description").asText().equals("Soy milk"));
        }
    }

    private static void assertCurrentRows(JsonNode batch) {
        assertThat(ids(batch)).containsExactly("t1", "t9");
        assertThat(row(batch, "t1").path("description").asText()).isEqualTo("Soy milk");
        assertThat(row(batch, "t9").path("list_id").asText()).isEqualTo("l2");
    }

    private static boolean mustRefetch(JsonNode batch) {
        return batch.path("messages").toString().contains("\"control\":\"must-refetch\"");
    }

    /**
     * A compaction while the server runs folds the ops after a client's stored offset into MOVEs and
     * a CLEAR; the handle's log re-reads what compaction touched, so the client resumes without a
     * refetch and gets exactly the changes since its offset.
     */
    @Test
    void aStoredOffsetResumesWithExactlyItsChangesAfterACompactionWhileTheServerRuns() throws Exception {
        String offset;
        String handle;
        try (NodeSyncClient client = shape("alice")) {
            JsonNode first = until(client, "the initial rows", b -> b.path("upToDate").asBoolean());
            assertThat(ids(first)).containsExactly("t1", "t2");
            offset = first.path("offset").asText();
            handle = first.path("handle").asText();
        }
        changeAndAwaitStored();
        String printed = compact();
        assertThat(printed).as("compaction did something").containsPattern("[1-9]\\d* ops (became MOVE|folded into CLEAR)");
        try (NodeSyncClient client = shape("alice", "--offset", offset, "--handle", handle)) {
            JsonNode next = until(client, "the changes since the offset", b -> !b.path("messages").isEmpty());
            assertThat(mustRefetch(next)).as("no refetch: %s", next).isFalse();
            assertThat(next.path("handle").asText()).isEqualTo(handle);
            List<String> operations = new ArrayList<>();
            next.path("messages").forEach(m -> operations.add(m.path("operation").asText() + ":" + m.path("value").path("id").asText()));
            assertThat(operations).as("exactly the changes since the stored offset")
                    .containsExactlyInAnyOrder("delete:t2", "update:t1", "insert:t9", ":");   // ":" the up-to-date
        }
    }

    /**
     * A stored offset nothing can serve any more: the server restarted (its shape logs are gone) and
     * a compaction folded the ops after that offset. The stock client resuming with it gets 409
     * must-refetch and a new handle, and refetches cleanly to the current rows.
     */
    @Test
    void aStoredOffsetUnservableAfterCompactionAndARestartGets409ThenRefetchesTheCurrentRows() throws Exception {
        String offset;
        String handle;
        try (NodeSyncClient client = shape("alice")) {
            JsonNode first = until(client, "the initial rows", b -> b.path("upToDate").asBoolean());
            offset = first.path("offset").asText();
            handle = first.path("handle").asText();
        }
        changeAndAwaitStored();
        running.app.close();
        assertThat(compact()).as("compaction did something").containsPattern("[1-9]\\d* ops (became MOVE|folded into CLEAR)");
        dev.syncline.server.config.SynclineConfig config = dev.syncline.server.config.ConfigLoader.load(
                dir.resolve("syncline.yaml"), java.util.Map.of("PG_URI", running.db.uri())).withPort(0);
        try (dev.syncline.server.app.SynclineApp restarted = dev.syncline.server.app.SynclineApp.start(config,
                java.time.Clock.systemUTC())) {
            RunningApp.awaitReady(restarted);
            try (NodeSyncClient client = shapeVia("http://127.0.0.1:" + restarted.port(), "alice",
                    "--offset", offset, "--handle", handle)) {
                JsonNode refetch = until(client, "the 409 must-refetch", ElectricClientIT::mustRefetch);
                assertThat(ids(refetch)).as("the Shape drops its rows on must-refetch").isEmpty();
                JsonNode batch = until(client, "the refetched rows", b -> b.path("upToDate").asBoolean());
                assertCurrentRows(batch);
                assertThat(batch.path("handle").asText()).isNotEqualTo(handle);
                assertThat(batch.path("messages").toString()).as("a snapshot of inserts").doesNotContain("\"delete\"");
            }
        }
    }
}
