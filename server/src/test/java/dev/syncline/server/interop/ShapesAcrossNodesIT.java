package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.app.SynclineApp;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.testing.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two Syncline nodes sharing nothing but their PostgreSQL bucket storage (in process, each with its
 * own shape logs), as behind a load balancer without sticky sessions: a shape handle and offset one
 * node issued are served by the other with exactly the changes after that offset, resumed and live,
 * never with a 409 must-refetch; and the stock {@code @electric-sql/client} behind a round-robin
 * proxy over both nodes follows its shape to the right rows without refetching. The rules grant
 * alice lists l1 and l2 (todos t1, t2); t3 is on Bob's list l3.
 */
class ShapesAcrossNodesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    static PostgresTestServer server;
    final HttpClient http = HttpClient.newHttpClient();
    RunningApp a;
    SynclineApp b;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPostgres() {
        server = PostgresTestServer.start();
    }

    @AfterAll
    static void stopPostgres() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void startNodes() throws Exception {
        a = RunningApp.start(server, dir, "", RunningApp.MEMBERSHIP_RULES, true).awaitReady();
        b = SynclineApp.start(ConfigLoader.load(dir.resolve("syncline.yaml"), Map.of("PG_URI", a.db.uri())).withPort(0),
                Clock.systemUTC());
        RunningApp.awaitReady(b);
    }

    @AfterEach
    void stopNodes() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    String nodeA() {
        return a.endpoint();
    }

    String nodeB() {
        return "http://127.0.0.1:" + b.port();
    }

    HttpResponse<String> get(String endpoint, String user, String query) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoint + "/v1/shape?" + query)).timeout(Duration.ofSeconds(40))
                .header("Authorization", "Bearer " + a.token(user)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String handle(HttpResponse<String> r) {
        return r.headers().firstValue("electric-handle").orElseThrow();
    }

    static String offset(HttpResponse<String> r) {
        return r.headers().firstValue("electric-offset").orElseThrow();
    }

    /** operation:id of each change, in order. */
    static List<String> changes(HttpResponse<String> r) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode m : JSON.readTree(r.body())) {
            if (m.path("headers").has("operation")) {
                out.add(m.path("headers").path("operation").asText() + ":" + m.path("key").asText()
                        .replaceAll(".*/\"?([^\"]*)\"?$", "$1"));
            }
        }
        return out;
    }

    /** Resumes on {@code endpoint} until the answer holds {@code expected} changes; never a 409. */
    HttpResponse<String> resumeUntil(String endpoint, String handle, String offset, int expected) throws Exception {
        HttpResponse<String> r = null;
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            r = get(endpoint, "alice", "table=todos&handle=" + handle + "&offset=" + offset);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            if (changes(r).size() >= expected) {
                return r;
            }
            Thread.sleep(100);
        }
        return r;
    }

    CompletableFuture<HttpResponse<String>> livePoll(String endpoint, String handle, String offset) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return get(endpoint, "alice", "table=todos&live=true&handle=" + handle + "&offset=" + offset);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void aHandleAndOffsetFromOneNodeResumeAndGoLiveOnTheOtherWithExactlyTheChangesAfterTheOffset() throws Exception {
        HttpResponse<String> first = get(nodeA(), "alice", "table=todos&offset=-1");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(changes(first)).containsExactly("insert:t1", "insert:t2");
        String handle = handle(first);

        a.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'Eggs', false, 3)",
                "UPDATE todos SET description = 'Oat milk' WHERE id = 't1'",
                "DELETE FROM todos WHERE id = 't2'");
        HttpResponse<String> onB = resumeUntil(nodeB(), handle, offset(first), 3);
        assertThat(changes(onB)).as("node B never saw the handle").containsExactlyInAnyOrder("insert:t9", "update:t1", "delete:t2");
        assertThat(handle(onB)).isEqualTo(handle);
        assertThat(onB.body()).contains("Oat milk");

        // node A's log and node B's agree on offsets: B's offset resumes on A with nothing new
        HttpResponse<String> backOnA = get(nodeA(), "alice", "table=todos&handle=" + handle + "&offset=" + offset(onB));
        assertThat(backOnA.statusCode()).as(backOnA.body()).isEqualTo(200);
        assertThat(changes(backOnA)).isEmpty();

        // a live long-poll on B from an offset A issued is answered by the next change
        CompletableFuture<HttpResponse<String>> live = livePoll(nodeB(), handle, offset(backOnA));
        Thread.sleep(500);
        a.db.execute("UPDATE todos SET done = true WHERE id = 't9'");
        HttpResponse<String> liveAnswer = live.get();
        assertThat(liveAnswer.statusCode()).as(liveAnswer.body()).isEqualTo(200);
        assertThat(changes(liveAnswer)).containsExactly("update:t9");

        // a grant change reaches a long-poll parked on A; its offset then resumes on B
        CompletableFuture<HttpResponse<String>> grantPoll = livePoll(nodeA(), handle, offset(liveAnswer));
        Thread.sleep(500);
        a.db.execute("INSERT INTO list_members VALUES ('l3', 'alice')");
        HttpResponse<String> granted = grantPoll.get();
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        assertThat(changes(granted)).containsExactly("insert:t3");
        a.db.execute("UPDATE todos SET description = 'Novel' WHERE id = 't3'");
        HttpResponse<String> afterGrant = resumeUntil(nodeB(), handle, offset(granted), 1);
        assertThat(changes(afterGrant)).containsExactly("update:t3");

        // and a live request for the same offset on a third path (back on A) still gets exactly that change
        HttpResponse<String> liveOnA = get(nodeA(), "alice", "table=todos&live=true&handle=" + handle + "&offset=" + offset(granted));
        assertThat(changes(liveOnA)).containsExactly("update:t3");

        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(nodeB() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).as("node B rebuilt the log from storage").containsPattern("syncline_shape_rebuilds_total [1-9]");

        // node B's log is behind an offset node A issued, and more was committed since: B reads on from
        // its log to that offset instead of rebuilding
        long rebuiltBefore = rebuilds(nodeB());
        a.db.execute("UPDATE todos SET description = 'Rye' WHERE id = 't9'");
        HttpResponse<String> onA = resumeUntil(nodeA(), handle, offset(afterGrant), 1);
        assertThat(changes(onA)).containsExactly("update:t9");
        a.db.execute("UPDATE todos SET description = 'Spelt' WHERE id = 't1'");
        resumeUntil(nodeA(), handle, offset(onA), 1);   // stored: B's checkpoint is past A's offset
        HttpResponse<String> caughtUp = get(nodeB(), "alice", "table=todos&handle=" + handle + "&offset=" + offset(onA));
        assertThat(caughtUp.statusCode()).as(caughtUp.body()).isEqualTo(200);
        assertThat(changes(caughtUp)).containsExactly("update:t1");
        assertThat(rebuilds(nodeB())).as("node B read on instead of rebuilding").isEqualTo(rebuiltBefore);

        // what neither node can serve still gets the answers it got before
        assertThat(get(nodeB(), "bob", "table=todos&handle=" + handle + "&offset=" + offset(granted)).statusCode())
                .as("another user's handle").isEqualTo(409);
        assertThat(get(nodeB(), "alice", "table=todos&handle=" + handle + "&offset=x_0").statusCode()).isEqualTo(400);
        HttpResponse<String> future = get(nodeB(), "alice", "table=todos&handle=" + handle + "&offset=99999999999000000000000_0");
        assertThat(future.statusCode()).as("an offset past every checkpoint").isEqualTo(409);
        assertThat(future.body()).contains("must-refetch");
    }

    /** Runs {@code syncline compact} (the CLI, in process) on the nodes' PostgreSQL storage; returns what it printed. */
    String compact() {
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cli = dev.syncline.server.cli.SynclineCli.commandLine(new dev.syncline.server.cli.SynclineCli(
                Map.of("PG_URI", a.db.uri()), config -> { }));
        cli.setOut(new java.io.PrintWriter(out, true));
        int exit = cli.execute("compact", "--config", dir.resolve("syncline.yaml").toString());
        assertThat(exit).as(out.toString()).isZero();
        return out.toString();
    }

    /**
     * Compaction turns superseded ops into MOVEs. An offset older than a compaction that hid the
     * version a changed row had then cannot be rebuilt (409); an offset from after the compaction
     * resumes on the other node with a row inserted since, since storage records how far each
     * bucket's last compaction went.
     */
    @Test
    void afterACompactionAnOffsetResumesOnTheOtherNodeUnlessTheCompactionHidARowItHad() throws Exception {
        HttpResponse<String> first = get(nodeA(), "alice", "table=todos&offset=-1");
        String handle = handle(first);
        a.db.execute("UPDATE todos SET description = 'Oat milk' WHERE id = 't1'",
                "UPDATE todos SET description = 'Soy milk' WHERE id = 't1'");
        HttpResponse<String> updated = resumeUntil(nodeA(), handle, offset(first), 1);
        assertThat(updated.body()).contains("Soy milk");
        assertThat(compact()).as("compaction did something").containsPattern("[1-9]\\d* ops became MOVE");

        HttpResponse<String> hidden = get(nodeB(), "alice", "table=todos&handle=" + handle + "&offset=" + offset(first));
        assertThat(hidden.statusCode()).as("t1's version at the first offset is a MOVE now").isEqualTo(409);
        assertThat(hidden.body()).contains("must-refetch");

        a.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'Eggs', false, 3)");
        resumeUntil(nodeA(), handle, offset(updated), 1);   // stored before node B is asked
        HttpResponse<String> onB = get(nodeB(), "alice", "table=todos&handle=" + handle + "&offset=" + offset(updated));
        assertThat(onB.statusCode()).as(onB.body()).isEqualTo(200);
        assertThat(changes(onB)).containsExactly("insert:t9");
    }

    /** Forwards each request to the next node in turn, as a load balancer without sticky sessions. */
    static final class RoundRobinProxy implements AutoCloseable {
        final HttpServer server;
        final List<String> nodes;
        final AtomicInteger next = new AtomicInteger();
        final List<String> log = new CopyOnWriteArrayList<>();
        final HttpClient client = HttpClient.newHttpClient();

        RoundRobinProxy(List<String> nodes) throws Exception {
            this.nodes = nodes;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", exchange -> {
                int node = Math.floorMod(next.getAndIncrement(), nodes.size());
                try (exchange) {
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(nodes.get(node) + exchange.getRequestURI()))
                            .timeout(Duration.ofSeconds(60));
                    String auth = exchange.getRequestHeaders().getFirst("Authorization");
                    if (auth != null) {
                        request.header("Authorization", auth);
                    }
                    HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                    log.add(node + " " + response.statusCode() + " " + exchange.getRequestURI().getRawQuery());
                    response.headers().map().forEach((name, values) -> {
                        if (!name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("transfer-encoding")
                                && !name.equalsIgnoreCase("connection") && !name.startsWith(":")) {
                            exchange.getResponseHeaders().put(name, values);
                        }
                    });
                    byte[] body = response.body();
                    exchange.sendResponseHeaders(response.statusCode(), body.length == 0 ? -1 : body.length);
                    if (body.length > 0) {
                        exchange.getResponseBody().write(body);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            server.start();
        }

        String endpoint() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static List<String> ids(JsonNode batch) {
        List<String> ids = new ArrayList<>();
        batch.path("rows").forEach(r -> ids.add(r.path("id").asText()));
        return ids;
    }

    private static JsonNode until(NodeSyncClient client, String what, java.util.function.Predicate<JsonNode> done,
                                  List<JsonNode> seen) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            JsonNode batch = client.nextEvent("batch", Duration.ofSeconds(60));
            seen.add(batch);
            if (done.test(batch)) {
                return batch;
            }
        }
        throw new AssertionError("never saw " + what);
    }

    @Test
    void theStockElectricClientBehindARoundRobinProxyFollowsItsShapeWithoutRefetching() throws Exception {
        NodeSyncClient.Installed installed = NodeSyncClient.require("clients/interop-electric/node_modules/@electric-sql/client");
        List<JsonNode> batches = new ArrayList<>();
        try (RoundRobinProxy proxy = new RoundRobinProxy(List.of(nodeA(), nodeB()));
             NodeSyncClient client = NodeSyncClient.startScript(installed.node(), installed.repoRoot(),
                     "clients/interop-electric/shape-stream.mjs", List.of("--url", proxy.endpoint() + "/v1/shape",
                             "--token", a.token("alice"), "--table", "todos", "--max-ms", "120000"))) {
            until(client, "the initial rows", b -> b.path("upToDate").asBoolean() && ids(b).equals(List.of("t1", "t2")), batches);
            String handle = batches.getLast().path("handle").asText();
            a.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'Eggs', false, 3)");
            until(client, "t9", b -> ids(b).equals(List.of("t1", "t2", "t9")), batches);
            a.db.execute("UPDATE todos SET description = 'Oat milk' WHERE id = 't1'");
            until(client, "t1 updated", b -> ids(b).contains("t1") && "Oat milk".equals(row(b, "t1").path("description").asText()), batches);
            a.db.execute("DELETE FROM todos WHERE id = 't2'");
            until(client, "t2 deleted", b -> ids(b).equals(List.of("t1", "t9")), batches);
            a.db.execute("INSERT INTO list_members VALUES ('l3', 'alice')");
            until(client, "t3 granted", b -> ids(b).equals(List.of("t1", "t3", "t9")), batches);
            for (int i = 0; i < 4; i++) {
                a.db.execute("UPDATE todos SET n = " + (100 + i) + " WHERE id = 't9'");
                String n = Integer.toString(100 + i);
                until(client, "t9.n = " + n, b -> ids(b).contains("t9") && n.equals(row(b, "t9").path("n").asText()), batches);
            }
            a.db.execute("DELETE FROM list_members WHERE list_id = 'l3' AND user_id = 'alice'");
            JsonNode last = until(client, "t3 revoked", b -> ids(b).equals(List.of("t1", "t9")), batches);

            assertThat(last.path("handle").asText()).as("the same handle throughout").isEqualTo(handle);
            assertThat(batches.toString()).as("never told to refetch").doesNotContain("must-refetch");
            assertThat(proxy.log).as("every answer a 200").allSatisfy(line -> assertThat(line.split(" ")[1]).isEqualTo("200"));
            long onB = proxy.log.stream().filter(line -> line.startsWith("1 ") && line.contains("handle=")).count();
            long onA = proxy.log.stream().filter(line -> line.startsWith("0 ") && line.contains("handle=")).count();
            assertThat(onA).as("resumed requests on node A: %s", proxy.log).isGreaterThanOrEqualTo(3);
            assertThat(onB).as("resumed requests on node B: %s", proxy.log).isGreaterThanOrEqualTo(3);
            // rebuilds stay few: two nodes whose logs reached the same checkpoint give the same offset, and a
            // log behind the offset it is sent reads on to it; a node rebuilds when it has no log yet or the
            // offset is not ahead of its log (a grant change moves no op id)
            long rebuilds = rebuilds(nodeA()) + rebuilds(nodeB());
            assertThat(rebuilds).as("rebuilds over %s requests", proxy.log.size()).isBetween(1L, 4L);
        }
    }

    long rebuilds(String endpoint) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create(endpoint + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("syncline_shape_rebuilds_total (\\d+)").matcher(metrics);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static JsonNode row(JsonNode batch, String id) {
        for (JsonNode r : batch.path("rows")) {
            if (r.path("id").asText().equals(id)) {
                return r;
            }
        }
        return JSON.createObjectNode();
    }
}
