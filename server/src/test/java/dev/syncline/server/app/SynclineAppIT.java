package dev.syncline.server.app;

import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineParser;
import dev.syncline.server.sync.ProtocolClientModel;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole server against a real PostgreSQL: capture → sync rules → SQLite storage → HTTP stream,
 * with real JWTs. Users see exactly the rows their memberships grant, changes arrive on open
 * streams, revoked access removes rows, and write checkpoints come back on an idle database.
 */
class SynclineAppIT {
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();

    @TempDir
    Path dir;
    RunningApp running;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        running = RunningApp.start(server.server(), dir, "", RunningApp.MEMBERSHIP_RULES, postgresStorage());
    }

    /** Bucket storage in SQLite here; {@link SynclineAppOnPostgresStorageIT} runs every test with PostgreSQL storage. */
    boolean postgresStorage() {
        return false;
    }

    @AfterEach
    void stop() {
        running.close();
    }

    /** Reads a user's NDJSON stream on a background thread into a client model. */
    final class Stream implements AutoCloseable {
        final ProtocolClientModel client = new ProtocolClientModel();
        final BlockingQueue<SyncLine> lines = new ArrayBlockingQueue<>(10_000);
        final InputStream body;

        Stream(String user, String clientId) throws Exception {
            this(user, clientId, "{\"client_id\":\"" + clientId + "\"}");
        }

        Stream(String user, String clientId, String requestBody) throws Exception {
            HttpRequest request = HttpRequest.newBuilder(URI.create(running.endpoint() + "/sync/stream"))
                    .header("Authorization", "Token " + running.token(user))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(requestBody)).build();
            HttpResponse<InputStream> response = awaitReady(request);
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
        void awaitComplete(String what, Predicate<ProtocolClientModel> condition) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < end) {
                SyncLine line = lines.poll(1, TimeUnit.SECONDS);
                if (line == null) {
                    continue;
                }
                client.accept(line);
                if (line instanceof SyncLine.CheckpointComplete && condition.test(client)) {
                    return;
                }
            }
            throw new AssertionError("not reached within 60 s: " + what + "; events " + client.events);
        }

        Map<String, String> rowsOf(String bucket) {
            return client.rows.getOrDefault(bucket, Map.of());
        }

        @Override
        public void close() throws Exception {
            body.close();
        }
    }

    private HttpResponse<InputStream> awaitReady(HttpRequest request) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() == 200) {
                return response;
            }
            String body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            if (response.statusCode() != 503 || System.nanoTime() > end) {
                throw new AssertionError("sync stream refused: " + response.statusCode() + " " + body);
            }
            Thread.sleep(100);
        }
    }

    @Test
    void usersSeeWhatTheirMembershipsGrantAndChangesArriveLive() throws Exception {
        try (Stream alice = new Stream("alice", "c-alice"); Stream bob = new Stream("bob", "c-bob")) {
            alice.awaitComplete("alice's first sync", c -> c.rows.keySet().equals(java.util.Set.of(
                    "user_lists[\"l1\"]", "user_lists[\"l2\"]")));
            assertThat(alice.rowsOf("user_lists[\"l1\"]")).containsOnlyKeys("l1", "t1");
            assertThat(alice.rowsOf("user_lists[\"l1\"]").get("t1")).contains("\"n\":9007199254740993");
            bob.awaitComplete("bob's first sync", c -> c.rows.containsKey("user_lists[\"l3\"]"));
            assertThat(bob.client.rows).doesNotContainKey("user_lists[\"l2\"]");

            running.db.execute("INSERT INTO todos VALUES ('t4', 'l1', 'Eggs', false, 4)");
            alice.awaitComplete("new todo in the shared list", c -> c.rows.getOrDefault("user_lists[\"l1\"]", Map.of()).containsKey("t4"));
            bob.awaitComplete("new todo reaches bob too", c -> c.rows.getOrDefault("user_lists[\"l1\"]", Map.of()).containsKey("t4"));

            running.db.execute("DELETE FROM list_members WHERE list_id = 'l1' AND user_id = 'bob'");
            bob.awaitComplete("revoked list disappears", c -> !c.rows.containsKey("user_lists[\"l1\"]"));
            assertThat(alice.rowsOf("user_lists[\"l1\"]")).containsKey("t4");
        }
    }

    /** TRUNCATE empties the table's rows from every bucket of connected clients; the other table's rows stay. */
    @Test
    void aTruncateReachesConnectedClients() throws Exception {
        try (Stream alice = new Stream("alice", "c-alice")) {
            alice.awaitComplete("alice's first sync", c -> alice.rowsOf("user_lists[\"l1\"]").containsKey("t1")
                    && alice.rowsOf("user_lists[\"l2\"]").containsKey("t2"));
            running.db.execute("TRUNCATE todos");
            alice.awaitComplete("todos gone", c -> !alice.rowsOf("user_lists[\"l1\"]").containsKey("t1")
                    && !alice.rowsOf("user_lists[\"l2\"]").containsKey("t2"));
            assertThat(alice.rowsOf("user_lists[\"l1\"]")).containsOnlyKeys("l1");
            assertThat(alice.rowsOf("user_lists[\"l2\"]")).containsOnlyKeys("l2");
            running.db.execute("INSERT INTO todos VALUES ('t5', 'l1', 'after the truncate', false, 5)");
            alice.awaitComplete("a row written after it", c -> alice.rowsOf("user_lists[\"l1\"]").containsKey("t5"));
        }
    }

    @Test
    void aWriteCheckpointComesBackOnAnIdleDatabase() throws Exception {
        try (Stream alice = new Stream("alice", "c1")) {
            alice.awaitComplete("first sync", c -> !c.rows.isEmpty());
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(running.endpoint() + "/write-checkpoint2.json?client_id=c1"))
                    .header("Authorization", "Token " + running.token("alice")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).isEqualTo("{\"data\":{\"write_checkpoint\":\"1\"}}");
            alice.awaitComplete("write checkpoint 1 acknowledged", c -> Long.valueOf(1).equals(c.writeCheckpoint));
        }
    }

    @Test
    void namingAnotherUsersBucketInTheRequestGetsNothingOfIt() throws Exception {
        String body = "{\"client_id\":\"c-bob\",\"buckets\":[{\"name\":\"user_lists[\\\"l2\\\"]\",\"after\":\"0\"}],"
                + "\"parameters\":{\"user_id\":\"alice\",\"list_id\":\"l2\"}}";
        try (Stream bob = new Stream("bob", "c-bob", body)) {
            bob.awaitComplete("bob's first sync", c -> c.rows.containsKey("user_lists[\"l3\"]"));
            assertThat(bob.client.rows).doesNotContainKey("user_lists[\"l2\"]");
            assertThat(bob.client.events).noneMatch(e -> e.contains("l2"));
        }
    }

    @Test
    void replicationRecoversWhenPostgresDropsItsConnection() throws Exception {
        try (Stream alice = new Stream("alice", "c-alice")) {
            alice.awaitComplete("first sync", c -> c.rows.containsKey("user_lists[\"l1\"]"));
            // What a PostgreSQL restart or a network cut does to the walsender connection.
            running.db.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                    + "WHERE database = current_database() AND active_pid IS NOT NULL");
            running.db.execute("INSERT INTO todos VALUES ('t-after', 'l1', 'after the cut', false, 5)");
            alice.awaitComplete("a change after the connection loss", c -> c.rows.getOrDefault(
                    "user_lists[\"l1\"]", Map.of()).containsKey("t-after"));
            assertThat(running.app.termination()).isNotDone();
        }
    }
}
