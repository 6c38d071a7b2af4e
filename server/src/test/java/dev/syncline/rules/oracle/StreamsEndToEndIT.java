package dev.syncline.rules.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.app.SynclineApp;
import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole server with a PowerSync-style config: {@code sync_config:} holding edition-3 Sync
 * Streams, one of them an {@code auto_subscribe} stream with JOINs over a many-to-many membership
 * table. A client that sends no subscriptions gets the default streams' buckets, and memberships
 * granted and revoked in PostgreSQL grant and revoke rows live. (Subscriptions in the request are
 * the sync session's part and are tested there.)
 */
class StreamsEndToEndIT {

    static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0NQ";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void anAutoSubscribedJoinStreamGrantsAndRevokesRowsAsMembershipsChange() throws Exception {
        try (PostgresTestServer server = PostgresTestServer.start(); TestDatabase db = server.createDatabase()) {
            db.execute("CREATE TABLE projects (id text PRIMARY KEY, name text, archived boolean)",
                    "CREATE TABLE memberships (id text PRIMARY KEY, project_id text, user_id text)",
                    "CREATE TABLE issues (id text PRIMARY KEY, project_id text, title text)",
                    "INSERT INTO projects VALUES ('p1', 'Apollo', false), ('p2', 'Gemini', false), ('p3', 'Old', true)",
                    "INSERT INTO memberships VALUES ('m1', 'p1', 'alice'), ('m2', 'p3', 'alice'), ('m3', 'p2', 'bob')",
                    "INSERT INTO issues VALUES ('i1', 'p1', 'first'), ('i2', 'p2', 'second'), ('i3', 'p3', 'archived')");
            Path config = Files.writeString(dir.resolve("syncline.yaml"), """
                    replication:
                      connections:
                        - type: postgresql
                          uri: ${PG_URI}
                          sslmode: disable
                    storage:
                      path: ./storage/syncline.db
                    sync_config:
                      content: |
                        config:
                          edition: 3
                        streams:
                          my_issues:
                            auto_subscribe: true
                            query: |
                              SELECT issues.* FROM issues
                                JOIN projects p ON issues.project_id = p.id
                                JOIN memberships m ON m.project_id = p.id
                              WHERE m.user_id = auth.user_id() AND p.archived = false
                          on_demand:
                            query: SELECT * FROM projects WHERE id = subscription.parameter('id')
                    client_auth:
                      audience: [syncline-test]
                      jwks:
                        keys:
                          - kty: oct
                            alg: HS256
                            k: %s
                    capture:
                      heartbeat_interval: 1s
                    """.formatted(SECRET));
            SynclineConfig loaded = ConfigLoader.load(config, Map.of("PG_URI", db.uri()));
            SynclineApp app = SynclineApp.start(loaded.withPort(0), Clock.systemUTC());
            try {
                String token = DevTokens.from(loaded.clientAuth(), Clock.systemUTC()).orElseThrow().mint("alice", Duration.ofHours(1));
                try (Client alice = new Client(app, token)) {
                    alice.awaitComplete("alice's first sync", c -> c.rows().equals(Set.of("i1")));
                    assertThat(alice.buckets.keySet()).containsExactly("my_issues|0[\"p1\"]");

                    db.execute("INSERT INTO memberships VALUES ('m4', 'p2', 'alice')");
                    alice.awaitComplete("a new membership grants p2's issues", c -> c.rows().equals(Set.of("i1", "i2")));

                    db.execute("DELETE FROM memberships WHERE id = 'm1'");
                    alice.awaitComplete("a removed membership revokes p1's issues", c -> c.rows().equals(Set.of("i2")));

                    db.execute("INSERT INTO issues VALUES ('i4', 'p2', 'new')");
                    alice.awaitComplete("new rows of a granted project arrive", c -> c.rows().equals(Set.of("i2", "i4")));
                }
            } finally {
                app.close();
            }
        }
    }

    /** Reads the NDJSON sync stream: buckets → object ids, applied at each checkpoint_complete. */
    static final class Client implements AutoCloseable {
        final Map<String, Set<String>> buckets = new HashMap<>();
        final BlockingQueue<JsonNode> lines = new ArrayBlockingQueue<>(10_000);
        final InputStream body;

        Client(SynclineApp app, String token) throws Exception {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/sync/stream"))
                    .header("Authorization", "Token " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"client_id\":\"c1\"}")).build();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            HttpResponse<InputStream> response;
            while (true) {
                response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                if (response.statusCode() == 200 || response.statusCode() != 503 || System.nanoTime() > end) {
                    break;
                }
                response.body().close();
                Thread.sleep(100);
            }
            assertThat(response.statusCode()).as("sync stream status").isEqualTo(200);
            body = response.body();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        lines.add(JSON.readTree(line));
                    }
                } catch (Exception closed) {
                    // the test closed the stream
                }
            });
        }

        Set<String> rows() {
            Set<String> all = new HashSet<>();
            buckets.values().forEach(all::addAll);
            return all;
        }

        void awaitComplete(String what, Predicate<Client> condition) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < end) {
                JsonNode line = lines.poll(1, TimeUnit.SECONDS);
                if (line == null) {
                    continue;
                }
                if (line.has("checkpoint")) {
                    Set<String> listed = new HashSet<>();
                    line.get("checkpoint").get("buckets").forEach(b -> listed.add(b.get("bucket").asText()));
                    buckets.keySet().retainAll(listed);
                    listed.forEach(b -> buckets.computeIfAbsent(b, k -> new HashSet<>()));
                } else if (line.has("checkpoint_diff")) {
                    line.get("checkpoint_diff").path("removed_buckets").forEach(b -> buckets.remove(b.asText()));
                    line.get("checkpoint_diff").path("updated_buckets")
                            .forEach(b -> buckets.computeIfAbsent(b.get("bucket").asText(), k -> new HashSet<>()));
                } else if (line.has("data")) {
                    JsonNode data = line.get("data");
                    Set<String> rows = buckets.computeIfAbsent(data.get("bucket").asText(), k -> new HashSet<>());
                    for (JsonNode op : data.get("data")) {
                        switch (op.get("op").asText()) {
                            case "PUT" -> rows.add(op.get("object_id").asText());
                            case "REMOVE" -> rows.remove(op.get("object_id").asText());
                            case "CLEAR" -> rows.clear();
                            default -> { }
                        }
                    }
                } else if (line.has("checkpoint_complete") && condition.test(this)) {
                    return;
                }
            }
            throw new AssertionError("not reached within 60 s: " + what + "; buckets " + buckets);
        }

        @Override
        public void close() throws Exception {
            body.close();
        }
    }
}
