package dev.syncline.server.shape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/shape} on the wire against the whole server (real PostgreSQL, sync rules, JWT):
 * what a shape holds, how it resumes and goes live, and what it refuses. The rules grant a user the
 * lists they are a member of (alice: l1, l2; bob: l1, l3) and those lists' todos.
 */
class ShapeApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    private final HttpClient http = HttpClient.newHttpClient();
    RunningApp running;

    @TempDir
    Path dir;

    @BeforeEach
    void startApp() throws Exception {
        running = RunningApp.start(server.server(), dir).awaitReady();
    }

    @AfterEach
    void stopApp() {
        running.close();
    }

    private HttpResponse<String> get(String user, String query) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(running.endpoint() + "/v1/shape?" + query))
                .timeout(Duration.ofSeconds(40));
        if (user != null) {
            b.header("Authorization", "Bearer " + running.token(user));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until a live request is parked on the checkpoint feed (the server's metrics say so). */
    private void awaitParked() throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(running.endpoint() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (metrics.body().contains("syncline_shape_requests_parked 1.0")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no shape request parked");
    }

    /** A live long-poll of the user's todos shape from {@code offset}, running while the test goes on. */
    private CompletableFuture<HttpResponse<String>> livePoll(String user, String handle, String offset) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return get(user, "table=todos&live=true&handle=" + handle + "&offset=" + offset);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static List<String> keys(HttpResponse<String> r, String operation) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode m : JSON.readTree(r.body())) {
            if (operation.equals(m.path("headers").path("operation").asText())) {
                out.add(m.path("value").path("id").asText());
            }
        }
        return out;
    }

    @Test
    void initialSyncHoldsTheUsersRowsOfTheTableInPostgresTextForm() throws Exception {
        HttpResponse<String> r = get("alice", "table=todos&offset=-1");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(keys(r, "insert")).containsExactly("t1", "t2");
        JsonNode body = JSON.readTree(r.body());
        JsonNode t1 = body.get(0);
        assertThat(t1.path("key").asText()).isEqualTo("\"public\".\"todos\"/\"t1\"");
        assertThat(t1.path("value").path("done").asText()).isEqualTo("f");
        assertThat(t1.path("value").path("n").asText()).isEqualTo("9007199254740993");
        assertThat(t1.path("headers").path("relation").toString()).isEqualTo("[\"public\",\"todos\"]");
        assertThat(body.get(body.size() - 1).path("headers").path("control").asText()).isEqualTo("up-to-date");
        JsonNode schema = JSON.readTree(r.headers().firstValue("electric-schema").orElseThrow());
        assertThat(schema.path("done").path("type").asText()).isEqualTo("bool");
        assertThat(schema.path("n").path("type").asText()).isEqualTo("int8");
        assertThat(schema.path("id").path("pk_index").asInt()).isZero();
        assertThat(r.headers().firstValue("electric-handle")).isPresent();
        assertThat(r.headers().firstValue("electric-offset").orElseThrow()).matches("\\d+_0");
        assertThat(r.headers().firstValue("electric-up-to-date")).isPresent();
        assertThat(r.headers().firstValue("vary").orElseThrow()).contains("Authorization");
        assertThat(r.headers().firstValue("access-control-expose-headers").orElseThrow())
                .contains("electric-handle", "electric-offset", "electric-schema", "electric-cursor", "electric-up-to-date");

        String handle = r.headers().firstValue("electric-handle").orElseThrow();
        String offset = r.headers().firstValue("electric-offset").orElseThrow();
        HttpResponse<String> resumed = get("alice", "table=todos&handle=" + handle + "&offset=" + offset);
        HttpRequest again = HttpRequest.newBuilder(URI.create(running.endpoint() + "/v1/shape?table=todos&handle="
                        + handle + "&offset=" + offset))
                .header("Authorization", "Bearer " + running.token("alice"))
                .header("If-None-Match", resumed.headers().firstValue("etag").orElseThrow()).build();
        assertThat(http.send(again, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(304);
    }

    @Test
    void whereAndColumnsNarrowTheShape() throws Exception {
        HttpResponse<String> r = get("alice", "table=todos&offset=-1&where=" + q("done = $1 OR description = 'Milk'")
                + "&params%5B1%5D=true&columns=id,description");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(keys(r, "insert")).containsExactly("t1", "t2");
        r = get("alice", "table=todos&offset=-1&where=" + q("description = $1") + "&params%5B1%5D=Report&columns=id,description");
        assertThat(keys(r, "insert")).containsExactly("t2");
        JsonNode value = JSON.readTree(r.body()).get(0).path("value");
        assertThat(value.size()).isEqualTo(2);
        assertThat(value.path("description").asText()).isEqualTo("Report");
    }

    @Test
    void anotherUsersRowsNeverAppearWhateverTheWhere() throws Exception {
        for (String where : List.of("list_id = 'l3'", "id = 't3'", "1 = 1 OR list_id = 'l3'", "description = 'Book'")) {
            HttpResponse<String> r = get("alice", "table=todos&offset=-1&where=" + q(where));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(keys(r, "insert")).as(where).doesNotContain("t3");
        }
    }

    @Test
    void injectionAttemptsAndUnsupportedSqlAreRefusedWith400() throws Exception {
        for (String where : List.of("id = 't1' -- comment", "id = 't1' /* x */", "id IN (SELECT id FROM todos)",
                "pg_sleep(1) = 1", "request.user_id() = 'bob'", "id = 't1'; DROP TABLE todos", "id = token_parameters.x",
                "description LIKE '%'")) {
            HttpResponse<String> r = get("alice", "table=todos&offset=-1&where=" + q(where));
            assertThat(r.statusCode()).as(where + " → " + r.body()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).path("message").asText()).as(where).isNotBlank();
        }
    }

    @Test
    void noOrBadTokenGets401AndAnUnsyncedTable400() throws Exception {
        assertThat(get(null, "table=todos&offset=-1").statusCode()).isEqualTo(401);
        HttpRequest bad = HttpRequest.newBuilder(URI.create(running.endpoint() + "/v1/shape?table=todos&offset=-1"))
                .header("Authorization", "Bearer not.a.jwt").build();
        assertThat(http.send(bad, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        HttpResponse<String> r = get("alice", "table=list_members&offset=-1");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("not synced");
        r = get("alice", "table=todos&offset=-1&columns=description");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("primary key");
        r = get("alice", "table=todos&offset=-1&where=" + q("owner = 'x'"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("`owner`");
    }

    @Test
    void resumingReturnsExactlyTheChangesSinceTheOffsetIncludingGrantChanges() throws Exception {
        HttpResponse<String> first = get("alice", "table=todos&offset=-1");
        String handle = first.headers().firstValue("electric-handle").orElseThrow();
        String offset = first.headers().firstValue("electric-offset").orElseThrow();
        running.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'Eggs', false, 3)",
                "UPDATE todos SET description = 'Oat milk' WHERE id = 't1'",
                "DELETE FROM todos WHERE id = 't2'",
                "INSERT INTO list_members VALUES ('l3', 'alice')");
        List<String> inserted = List.of();
        HttpResponse<String> next = null;
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            next = get("alice", "table=todos&handle=" + handle + "&offset=" + offset);
            assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
            if (keys(next, "insert").contains("t3")) {
                break;
            }
            Thread.sleep(100);
        }
        // the changes since the first offset, whichever checkpoints they came in
        assertThat(keys(next, "insert")).containsExactlyInAnyOrder("t9", "t3");
        assertThat(keys(next, "update")).containsExactly("t1");
        assertThat(keys(next, "delete")).containsExactly("t2");
        JsonNode update = null;
        for (JsonNode m : JSON.readTree(next.body())) {
            if ("update".equals(m.path("headers").path("operation").asText())) {
                update = m;
            }
        }
        assertThat(update.path("value").path("description").asText()).isEqualTo("Oat milk");
        assertThat(update.path("value").has("list_id")).as("only changed columns and the key").isFalse();

        running.db.execute("DELETE FROM list_members WHERE list_id = 'l3' AND user_id = 'alice'");
        String offset2 = next.headers().firstValue("electric-offset").orElseThrow();
        HttpResponse<String> live = get("alice", "table=todos&live=true&handle=" + handle + "&offset=" + offset2);
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(keys(live, "delete")).as("revoked grant").containsExactly("t3");
        assertThat(live.headers().firstValue("electric-cursor")).isPresent();
    }

    private static long xidOf(java.sql.Connection c) throws Exception {
        try (var s = c.createStatement(); var rs = s.executeQuery("SELECT pg_current_xact_id()::xid::text")) {
            rs.next();
            return Long.parseLong(rs.getString(1));
        }
    }

    /** Read-your-writes: each change names the PostgreSQL transaction that made it, as pg_current_xact_id()::xid. */
    @Test
    void changesCarryTheTxidsOfThePostgresTransactionsThatMadeThemAndTheSnapshotNone() throws Exception {
        HttpResponse<String> first = get("alice", "table=todos&offset=-1");
        assertThat(first.body()).doesNotContain("txids");
        String handle = first.headers().firstValue("electric-handle").orElseThrow();
        String offset = first.headers().firstValue("electric-offset").orElseThrow();
        long both;
        long delete;
        try (java.sql.Connection c = running.db.connect()) {
            c.setAutoCommit(false);
            try (var s = c.createStatement()) {
                s.execute("INSERT INTO todos VALUES ('t9', 'l1', 'Eggs', false, 3)");
                s.execute("UPDATE todos SET description = 'Oat milk' WHERE id = 't1'");
            }
            both = xidOf(c);
            c.commit();
            try (var s = c.createStatement()) {
                s.execute("DELETE FROM todos WHERE id = 't2'");
            }
            delete = xidOf(c);
            c.commit();
        }
        HttpResponse<String> next = null;
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            next = get("alice", "table=todos&handle=" + handle + "&offset=" + offset);
            if (keys(next, "delete").contains("t2")) {
                break;
            }
            Thread.sleep(100);
        }
        java.util.Map<String, List<Long>> txids = new java.util.HashMap<>();
        for (JsonNode m : JSON.readTree(next.body())) {
            if (m.path("headers").has("operation")) {
                List<Long> ids = new ArrayList<>();
                m.path("headers").path("txids").forEach(t -> {
                    assertThat(t.isIntegralNumber()).as("a number, as Electric sends it: %s", m).isTrue();
                    ids.add(t.asLong());
                });
                txids.put(m.path("headers").path("operation").asText() + ":" + m.path("value").path("id").asText(), ids);
            }
        }
        assertThat(txids).containsOnlyKeys("insert:t9", "update:t1", "delete:t2");
        assertThat(txids.get("insert:t9")).containsExactly(both);
        assertThat(txids.get("update:t1")).containsExactly(both);
        assertThat(txids.get("delete:t2")).containsExactly(delete);
    }

    @Test
    void compactionBetweenTwoRequestsNeitherForcesARefetchNorLosesAChange() throws Exception {
        HttpResponse<String> first = get("alice", "table=todos&offset=-1");
        String handle = first.headers().firstValue("electric-handle").orElseThrow();
        String offset = first.headers().firstValue("electric-offset").orElseThrow();
        running.db.execute("DELETE FROM todos WHERE id = 't2'", "UPDATE todos SET n = 1 WHERE id = 't1'",
                "UPDATE todos SET n = 2 WHERE id = 't1'");
        // another shape of alice's tells when the changes are in storage (this one's log stays behind)
        HttpResponse<String> probe = get("alice", "table=todos&offset=-1&columns=id,n");
        String probeHandle = probe.headers().firstValue("electric-handle").orElseThrow();
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!probe.body().contains("\"n\":\"2\"") && System.nanoTime() < end) {
            probe = get("alice", "table=todos&offset=-1&columns=id,n&handle=" + probeHandle);
        }
        try (var storage = dev.syncline.server.storage.sqlite.SqliteBucketStorage.open(dir.resolve("storage/syncline.db"))) {
            var result = storage.compactor().compactAll();
            assertThat(result.movedOps() + result.clearedOps()).as("compaction did something").isPositive();
        }
        HttpResponse<String> next = get("alice", "table=todos&handle=" + handle + "&offset=" + offset);
        assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
        assertThat(keys(next, "delete")).containsExactly("t2");
        assertThat(keys(next, "update")).containsExactly("t1");
        assertThat(next.body()).contains("\"n\":\"2\"");
    }

    @Test
    void aLongPollIsAnsweredByTheNextChangeOfItsShape() throws Exception {
        HttpResponse<String> first = get("bob", "table=todos&offset=-1");
        String handle = first.headers().firstValue("electric-handle").orElseThrow();
        String offset = first.headers().firstValue("electric-offset").orElseThrow();
        CompletableFuture<HttpResponse<String>> poll = livePoll("bob", handle, offset);
        awaitParked();
        running.db.execute("INSERT INTO todos VALUES ('t20', 'l3', 'Pen', false, 1)");
        HttpResponse<String> r = poll.get();
        assertThat(keys(r, "insert")).containsExactly("t20");
    }

    /**
     * "Thousands of parked shapes cost memory, not CPU": a parked request is not woken by the
     * heartbeat's checkpoints nor by commits to buckets outside its grant, only by one in its grant.
     */
    @Test
    void aParkedLongPollIsWokenOnlyByACheckpointThatTouchesItsBuckets() throws Exception {
        HttpResponse<String> first = get("alice", "table=todos&offset=-1");
        String handle = first.headers().firstValue("electric-handle").orElseThrow();
        String offset = first.headers().firstValue("electric-offset").orElseThrow();
        HttpResponse<String> bobFirst = get("bob", "table=todos&offset=-1");
        CompletableFuture<HttpResponse<String>> poll = livePoll("alice", handle, offset);
        awaitParked();
        double before = metric("syncline_shape_wakeups_total");
        for (int i = 0; i < 5; i++) {
            running.db.execute("INSERT INTO todos VALUES ('tb" + i + "', 'l3', 'Bob only', false, 1)");
        }
        // Bob's shape (not live: it never parks) sees all five, so their checkpoints are announced.
        String bobOffset = bobFirst.headers().firstValue("electric-offset").orElseThrow();
        String bobHandle = bobFirst.headers().firstValue("electric-handle").orElseThrow();
        List<String> bobSaw = new ArrayList<>();
        while (bobSaw.size() < 5) {
            HttpResponse<String> r = get("bob", "table=todos&handle=" + bobHandle + "&offset=" + bobOffset);
            bobSaw.addAll(keys(r, "insert"));
            bobOffset = r.headers().firstValue("electric-offset").orElseThrow();
        }
        assertThat(bobSaw).containsExactlyInAnyOrder("tb0", "tb1", "tb2", "tb3", "tb4");
        // and the heartbeat's checkpoints (one a second in RunningApp's config) pass after them
        Thread.sleep(3_000);
        assertThat(poll).as("alice's request is still parked").isNotDone();
        assertThat(metric("syncline_shape_wakeups_total") - before)
                .as("wakes of alice's request by bob's commits and the heartbeats").isZero();

        running.db.execute("INSERT INTO todos VALUES ('ta1', 'l1', 'Shared', false, 1)");
        HttpResponse<String> r = poll.get();
        assertThat(keys(r, "insert")).containsExactly("ta1");
        assertThat(metric("syncline_shape_wakeups_total") - before).isEqualTo(1);
    }

    private double metric(String name) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create(running.endpoint() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError(name + " is not in /metrics");
    }

    @Test
    void aLongPollThatSeesNoChangeOfItsShapeEndsUpToDateWithNone() throws Exception {
        HttpResponse<String> first = get("alice", "table=todos&offset=-1");
        String handle = first.headers().firstValue("electric-handle").orElseThrow();
        String offset = first.headers().firstValue("electric-offset").orElseThrow();
        CompletableFuture<HttpResponse<String>> poll = livePoll("alice", handle, offset);
        awaitParked();
        running.db.execute("INSERT INTO todos VALUES ('t21', 'l3', 'Bob''s', false, 1)");
        HttpResponse<String> r = poll.get();
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.size()).as(r.body()).isEqualTo(1);
        assertThat(body.get(0).path("headers").path("control").asText()).isEqualTo("up-to-date");
        assertThat(r.headers().firstValue("electric-up-to-date")).isPresent();
        assertThat(r.headers().firstValue("electric-cursor")).isPresent();
    }

    @Test
    void stoppingTheServerEndsAParkedLongPollWith503() throws Exception {
        HttpResponse<String> first = get("alice", "table=todos&offset=-1");
        String handle = first.headers().firstValue("electric-handle").orElseThrow();
        String offset = first.headers().firstValue("electric-offset").orElseThrow();
        CompletableFuture<HttpResponse<String>> poll = livePoll("alice", handle, offset);
        awaitParked();
        running.app.close();
        HttpResponse<String> r = poll.get();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.body()).contains("shutting down");
    }

    @Test
    void anUnknownHandleOrOffsetGets409WithANewHandle() throws Exception {
        HttpResponse<String> r = get("alice", "table=todos&handle=0000-1&offset=5_0");
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).contains("must-refetch");
        String newHandle = r.headers().firstValue("electric-handle").orElseThrow();
        assertThat(newHandle).isNotEqualTo("0000-1");
        HttpResponse<String> again = get("alice", "table=todos&handle=" + q(newHandle) + "&offset=-1");
        assertThat(again.headers().firstValue("electric-handle").orElseThrow()).isEqualTo(newHandle);
        // another user's handle is not this user's shape
        HttpResponse<String> bobs = get("bob", "table=todos&handle=" + q(newHandle) + "&offset="
                + again.headers().firstValue("electric-offset").orElseThrow());
        assertThat(bobs.statusCode()).isEqualTo(409);
    }
}
