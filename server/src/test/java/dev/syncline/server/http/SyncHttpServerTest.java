package dev.syncline.server.http;

import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineParser;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.sync.ProtocolClientModel;
import dev.syncline.server.sync.InMemoryWriteCheckpointStore;
import dev.syncline.server.sync.SourcePosition;
import dev.syncline.server.sync.SyncException;
import dev.syncline.server.sync.WriteCheckpoints;
import dev.syncline.server.testing.ZstdDecoding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP transport over real loopback connections, with a hand-written backend. */
class SyncHttpServerTest {
    final FakeBackend backend = new FakeBackend();
    final HttpClient http = HttpClient.newHttpClient();
    volatile Instant expiry = Instant.now().plusSeconds(3600);
    SyncHttpServer server;
    final List<String> markers = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        Authenticator auth = header -> {
            if (header == null || !header.startsWith("Token user-")) {
                throw new SyncException("PSYNC_S2106", 401, "missing or malformed Authorization header");
            }
            return new AuthenticatedUser(header.substring("Token ".length()), "{}", expiry);
        };
        WriteCheckpoints writeCheckpoints = new WriteCheckpoints(new InMemoryWriteCheckpointStore(), new SourcePosition() {
            @Override public CommitPosition current() { return new CommitPosition(100); }
            @Override public void emitMarker(String content) { markers.add(content); }
        });
        server = new SyncHttpServer(new HttpSettings("127.0.0.1", 0, List.of("*"), 2, 4096, 1000, 1 << 20)
                .withClientLimits(ClientLimits.DEFAULTS.withMaxStreamsPerUser(1).withWriteCheckpointsPerUserPerMinute(3)),
                auth, backend, writeCheckpoints, Clock.systemUTC()).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    HttpRequest.Builder post(String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/sync/stream"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Token " + token);
        }
        return b;
    }

    @Test
    void probesAndMetricsAnswer() throws Exception {
        for (String path : List.of("/probes/startup", "/probes/liveness", "/probes/readiness")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(200);
        }
        backend.ready = false;
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/probes/readiness")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("syncline_sync_connections");
    }

    @Test
    void requestsThatCannotStreamGetAStatusACodeAndAMessage() throws Exception {
        HttpResponse<String> noAuth = http.send(post(null, "{}").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noAuth.statusCode()).isEqualTo(401);
        assertThat(noAuth.body()).contains("\"code\":\"PSYNC_S2106\"", "\"status\":401");

        HttpResponse<String> badBody = http.send(post("user-a", "{\"buckets\":5}").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badBody.statusCode()).isEqualTo(400);
        assertThat(badBody.body()).contains("SYNC_R1001", "`buckets` must be an array");

        HttpResponse<String> big = http.send(post("user-a", "{\"x\":\"" + "y".repeat(10_000) + "\"}").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(big.statusCode()).isEqualTo(413);

        backend.grants.put("user-greedy", List.of("a[]", "b[]", "c[]"));
        HttpResponse<String> greedy = http.send(post("user-greedy", "{}").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(greedy.statusCode()).isEqualTo(400);
        assertThat(greedy.body()).contains("SYNC_B1001").doesNotContain("Token");
    }

    @Test
    void streamsACheckpointThenChangesOnTheOpenConnection() throws Exception {
        backend.grants.put("user-a", List.of("a[]"));
        backend.buckets.put("a[]", "1", "{\"id\":\"1\"}");
        backend.buckets.put("other[]", "9", "{\"id\":\"9\"}");
        HttpResponse<InputStream> r = http.send(post("user-a", "{}").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/x-ndjson"));
        ProtocolClientModel client = new ProtocolClientModel();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            readUntilComplete(lines, client);
            assertThat(client.rows).containsOnlyKeys("a[]");
            backend.buckets.put("a[]", "2", "{\"id\":\"2\"}");
            backend.publish();
            readUntilComplete(lines, client);
            assertThat(client.rows.get("a[]")).containsOnlyKeys("1", "2");
            assertThat(client.events).contains("checkpoint 2", "complete 2", "complete 3");
        }
    }

    @Test
    void bsonWhenTheClientPrefersItAndGzipWhenAccepted() throws Exception {
        backend.grants.put("user-b", List.of("a[]"));
        backend.buckets.put("a[]", "1", "{\"id\":\"1\"}");
        HttpResponse<InputStream> r = http.send(post("user-b", "{}")
                .header("Accept", "application/vnd.powersync.bson-stream;q=0.9,application/x-ndjson;q=0.8")
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/vnd.powersync.bson-stream");
        assertThat(r.headers().firstValue("Content-Encoding")).hasValue("gzip");
        ProtocolClientModel client = new ProtocolClientModel();
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(r.body()))) {
            while (!client.events.contains("complete 1")) {
                byte[] sizeBytes = in.readNBytes(4);
                int size = (sizeBytes[0] & 0xff) | (sizeBytes[1] & 0xff) << 8 | (sizeBytes[2] & 0xff) << 16 | (sizeBytes[3] & 0xff) << 24;
                byte[] doc = new byte[size];
                System.arraycopy(sizeBytes, 0, doc, 0, 4);
                in.readFully(doc, 4, size - 4);
                client.accept(SyncLineParser.bson(doc));
            }
        }
        assertThat(client.rows.get("a[]")).containsOnlyKeys("1");
    }

    /**
     * What Chromium sends gets zstd, and each checkpoint decodes from the bytes sent so far: the
     * client reads the first checkpoint, and a second one on the same connection, without the
     * stream ending (every write is a complete frame).
     */
    @Test
    void zstdWhenTheClientAcceptsItWithEveryCheckpointDecodableAtOnce() throws Exception {
        backend.grants.put("user-z", List.of("a[]"));
        backend.buckets.put("a[]", "1", "{\"id\":\"1\"}");
        HttpResponse<InputStream> r = http.send(post("user-z", "{}").header("Accept-Encoding", "gzip, deflate, br, zstd").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Encoding")).hasValue("zstd");
        ProtocolClientModel client = new ProtocolClientModel();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(new ZstdDecoding(r.body()), StandardCharsets.UTF_8))) {
            readUntilComplete(lines, client);
            assertThat(client.rows.get("a[]")).containsOnlyKeys("1");
            backend.buckets.put("a[]", "2", "{\"id\":\"2\"}");
            backend.publish();
            readUntilComplete(lines, client);
            assertThat(client.rows.get("a[]")).containsOnlyKeys("1", "2");
        }
    }

    @Test
    void connectionsBeyondTheLimitGet429() throws Exception {
        List<HttpResponse<InputStream>> open = new ArrayList<>();
        for (String user : List.of("user-a", "user-b")) {
            backend.grants.put(user, List.of());
            open.add(http.send(post(user, "{}").build(), HttpResponse.BodyHandlers.ofInputStream()));
        }
        HttpResponse<String> third = http.send(post("user-c", "{}").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(third.body()).contains("SYNC_R1003");
        assertThat(third.headers().firstValue("Retry-After")).isPresent();
        for (HttpResponse<InputStream> r : open) {
            r.body().close();
        }
    }

    /** Regression: one token could take every stream slot of the node. */
    @Test
    void oneUserAtItsStreamLimitGets429WithRetryAfterWhileOthersStillConnect() throws Exception {
        backend.grants.put("user-a", List.of());
        backend.grants.put("user-b", List.of());
        HttpResponse<InputStream> first = http.send(post("user-a", "{}").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(first.statusCode()).isEqualTo(200);
        HttpResponse<InputStream> second = http.send(post("user-a", "{}").build(), HttpResponse.BodyHandlers.ofInputStream());
        String body;
        try (InputStream in = second.body()) {
            assertThat(second.statusCode()).isEqualTo(429); // before reading: a 200 would be an endless stream
            body = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(body).contains("SYNC_R1007");
        assertThat(second.headers().firstValue("Retry-After")).hasValue("5");
        HttpResponse<InputStream> other = http.send(post("user-b", "{}").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(other.statusCode()).as("another user still gets a slot").isEqualTo(200);
        first.body().close();
        other.body().close();
    }

    /** Regression: random client_ids cost a lock, a round trip and an fsync each, without limit. */
    @Test
    void writeCheckpointsBeyondTheUsersRateGet429WithRetryAfter() throws Exception {
        String base = "http://127.0.0.1:" + server.port();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + "/write-checkpoint2.json?client_id=r" + i))
                    .header("Authorization", "Token user-w").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
        }
        HttpResponse<String> limited = http.send(HttpRequest.newBuilder(URI.create(base + "/write-checkpoint2.json?client_id=r9"))
                .header("Authorization", "Token user-w").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).contains("SYNC_R1008");
        assertThat(limited.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
        assertThat(markers).hasSize(3);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/write-checkpoint2.json?client_id=r9"))
                .header("Authorization", "Token user-x").build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("another user is not limited").isEqualTo(200);
    }

    static final String INTERNALS = "connection to db.internal:5432 as user replicator failed: SELECT secret FROM accounts";

    /** Regression: internal failures reached clients with hosts, database users and SQL in the body. */
    @Test
    void internalFailuresAnswerACodeAndASafeMessageOnly() throws Exception {
        backend.grants.put("user-a", List.of());
        backend.scopeFailure = new IllegalStateException(INTERNALS);
        HttpResponse<String> r = http.send(post("user-a", "{}").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.body()).contains("\"code\":\"SYNC_S5000\"").doesNotContain("db.internal", "replicator", "SELECT",
                "IllegalStateException");
        HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/no-such-path")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(missing.statusCode()).as("Javalin's own 4xx keep their status").isEqualTo(404);
    }

    @Test
    void aFailingWriteCheckpointStoreAnswersACodeAndASafeMessageOnly() throws Exception {
        SyncHttpServer failing = new SyncHttpServer(new HttpSettings("127.0.0.1", 0, List.of("*"), 2, 4096, 1000, 1 << 20),
                header -> new AuthenticatedUser("user-a", "{}", expiry), backend,
                new WriteCheckpoints(new InMemoryWriteCheckpointStore(), new SourcePosition() {
                    @Override public CommitPosition current() { throw new IllegalStateException(INTERNALS); }
                    @Override public void emitMarker(String content) { }
                }), Clock.systemUTC()).start();
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + failing.port()
                    + "/write-checkpoint2.json?client_id=c1")).header("Authorization", "Token user-a").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).contains("SYNC_S5000").doesNotContain("db.internal", "replicator", "SELECT");
        } finally {
            failing.close();
        }
    }

    @Test
    void theWebSocketUpgradeSetsNoSessionCookie() throws Exception {
        // The API is stateless (every request carries its token): an HTTP session cookie would only
        // be server memory per connection and a tracking id in the browser.
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(("GET /sync/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII));
            List<String> head = new java.util.ArrayList<>();
            for (String line = reader.readLine(); line != null && !line.isEmpty(); line = reader.readLine()) {
                head.add(line);
            }
            assertThat(head.getFirst()).contains("101");
            assertThat(head).noneMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("set-cookie"));
        }
    }

    @Test
    void browserPreflightIsAllowed() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/sync/stream"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://app.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type, x-user-agent").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(r.headers().firstValue("Access-Control-Allow-Headers")).hasValueSatisfying(
                v -> assertThat(v).contains("authorization", "content-type", "x-user-agent"));
    }

    @Test
    void theStreamEndsWithTokenExpiresInZeroWhenTheTokenExpires() throws Exception {
        expiry = Instant.now().plusSeconds(1);
        backend.grants.put("user-a", List.of());
        HttpResponse<String> r = http.send(post("user-a", "{}").build(), HttpResponse.BodyHandlers.ofString());
        List<String> lines = r.body().lines().toList();
        assertThat(lines.getLast()).isEqualTo("{\"token_expires_in\":0}");
        assertThat(lines).anyMatch(l -> l.startsWith("{\"checkpoint\":"));
    }

    private static void readUntilComplete(BufferedReader lines, ProtocolClientModel client) throws Exception {
        String line;
        while ((line = lines.readLine()) != null) {
            SyncLine parsed = SyncLineParser.ndjson(line);
            client.accept(parsed);
            if (parsed instanceof SyncLine.CheckpointComplete) {
                return;
            }
        }
        throw new AssertionError("stream ended before checkpoint_complete");
    }

    @Test
    void writeCheckpointsAreHandedOutPerClientAndMarkedInTheWal() throws Exception {
        String base = "http://127.0.0.1:" + server.port();
        HttpRequest get = HttpRequest.newBuilder(URI.create(base + "/write-checkpoint2.json?client_id=c1"))
                .header("Authorization", "Token user-a").build();
        assertThat(http.send(get, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("{\"data\":{\"write_checkpoint\":\"1\"}}");
        assertThat(http.send(get, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("{\"data\":{\"write_checkpoint\":\"2\"}}");
        assertThat(markers).containsExactly("1", "2");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/write-checkpoint2.json")).header("Authorization", "Token user-a").build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/write-checkpoint2.json?client_id=c1")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        HttpResponse<String> request = http.send(HttpRequest.newBuilder(URI.create(base + "/sync/checkpoint-request"))
                .header("Authorization", "Token user-a")
                .POST(HttpRequest.BodyPublishers.ofString("{\"client_id\":\"c2\",\"checkpoint_request_id\":\"7\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(request.body()).isEqualTo("{\"data\":{\"checkpoint_request_id\":\"7\"}}");
    }
}
