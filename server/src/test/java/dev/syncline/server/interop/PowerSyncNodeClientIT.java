package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.server.http.HttpSettings;
import dev.syncline.server.http.SyncHttpServer;
import dev.syncline.server.sync.SyncException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stock {@code @powersync/node} 1.1.0 client (clients/interop-node) syncs from Syncline's HTTP
 * transport: the first complete sync yields exactly the served rows with the right SQLite types,
 * and changes published while it is connected arrive over the open stream. Storage, JWTs and sync
 * rules are hand-written stand-ins here; what is under test is the wire protocol.
 */
class PowerSyncNodeClientIT {
    private static final Logger log = LoggerFactory.getLogger(PowerSyncNodeClientIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
    private static final String USER = "user-1";
    private static final String L1 = "user_lists[\"l1\"]";
    private static final String L2 = "user_lists[\"l2\"]";
    private static final String OTHER = "user_lists[\"l9\"]";

    /** Client schema: table → column → PowerSync column type (id is implicit). */
    private static final Map<String, Map<String, String>> SCHEMA = Map.of(
            "lists", ClientTables.linked("name", "text", "owner_id", "text", "position", "integer"),
            "todos", ClientTables.linked("list_id", "text", "description", "text", "done", "integer", "estimate", "real",
                    "created_at", "text"));

    private static Path node;
    private static Path repoRoot;

    private final InteropBackend backend = new InteropBackend();
    /** What the client must end up with: table → id → row JSON, across the buckets granted to USER. */
    private final Map<String, Map<String, String>> expected = new TreeMap<>();
    private SyncHttpServer server;
    private RecordingProxy proxy;
    /**
     * Tokens the authenticator accepts with their lifetime, counted from the first time a token is
     * presented (so a slow client start cannot eat a short token); expiries once known; every token
     * the authenticator was shown, in order.
     */
    private final Map<String, Duration> tokenLifetime = new ConcurrentHashMap<>();
    private final Map<String, Instant> tokenExpiry = new ConcurrentHashMap<>();
    private final Map<String, Instant> tokenFirstSeen = new ConcurrentHashMap<>();
    private final List<String> tokensSeen = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void findClient() {
        NodeSyncClient.Installed installed = NodeSyncClient.require("clients/interop-node/node_modules/@powersync/node",
                "clients/interop-node/node_modules/better-sqlite3/build");
        node = installed.node();
        repoRoot = installed.repoRoot();
    }

    @BeforeEach
    void start() {
        tokenLifetime.put("token-of-" + USER, Duration.ofHours(1));
        // HTTP sends "Token <token>", the WebSocket SETUP frame the bare token
        Authenticator auth = header -> {
            String token = header == null ? null : header.startsWith("Token ") ? header.substring(6) : header;
            Duration lifetime = token == null ? null : tokenLifetime.get(token);
            if (lifetime == null) {
                throw new SyncException("PSYNC_S2106", 401, "missing or malformed Authorization header");
            }
            tokensSeen.add(token);
            tokenFirstSeen.putIfAbsent(token, Instant.now());
            Instant expiresAt = tokenExpiry.computeIfAbsent(token, t -> Instant.now().plus(lifetime));
            if (!Instant.now().isBefore(expiresAt)) {
                throw new SyncException("PSYNC_S2103", 401, "token expired at " + expiresAt);
            }
            return new AuthenticatedUser(USER, "{\"sub\":\"" + USER + "\"}", expiresAt);
        };
        server = new SyncHttpServer(new HttpSettings("127.0.0.1", 0, List.of("*"), 16, 1 << 20, 1000, 1 << 20),
                auth, backend, Clock.systemUTC()).start();
        backend.grant(USER, L1, L2);

        put(L1, "lists", "l1", "{\"id\":\"l1\",\"name\":\"Groceries\",\"owner_id\":\"user-1\",\"position\":1}");
        put(L1, "todos", "t1", "{\"id\":\"t1\",\"list_id\":\"l1\",\"description\":\"Milk\",\"done\":0,\"estimate\":1.5,"
                + "\"created_at\":\"2026-11-26T00:00:00Z\"}");
        put(L1, "todos", "t2", "{\"id\":\"t2\",\"list_id\":\"l1\",\"description\":\"Bread \\\"sourdough\\\" ✓\",\"done\":0,"
                + "\"estimate\":null,\"created_at\":\"2026-11-26T00:01:00Z\"}");
        // a superseded PUT stays in the bucket's checksum; the client must keep only the newer row
        put(L1, "todos", "t1", "{\"id\":\"t1\",\"list_id\":\"l1\",\"description\":\"Milk\",\"done\":1,\"estimate\":1.5,"
                + "\"created_at\":\"2026-11-26T00:00:00Z\"}");
        put(L2, "lists", "l2", "{\"id\":\"l2\",\"name\":\"Büro 日本\",\"owner_id\":\"user-1\",\"position\":9007199254740991}");
        put(L2, "todos", "t3", "{\"id\":\"t3\",\"list_id\":\"l2\",\"description\":\"Stapler\",\"done\":0,\"estimate\":0.25}");
        put(L2, "todos", "t4", "{\"id\":\"t4\",\"list_id\":\"l2\",\"description\":\"gone\",\"done\":0}");
        remove(L2, "todos", "t4");
        put(OTHER, "lists", "l9", "{\"id\":\"l9\",\"name\":\"not granted\",\"owner_id\":\"someone-else\",\"position\":9}");
        backend.publish();
    }

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            log.info("HTTP exchanges of the PowerSync client:\n{}", proxy.describe());
            proxy.close();
        }
        backend.requests.forEach(r -> log.info("sync request body as parsed: {}", r));
        server.close();
    }

    @Test
    void firstSyncYieldsExactlyTheServedRowsAndTypes() throws Exception {
        try (NodeSyncClient client = startClient(null, Map.of())) {
            JsonNode synced = client.nextEvent("synced", CLIENT_TIMEOUT.plusSeconds(10));
            assertTables(synced);
            assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
        }
        assertClientUsedHttpStreaming("application/vnd.powersync.bson-stream", true);
    }

    @Test
    void firstSyncOverUncompressedNdjsonYieldsTheSameRows() throws Exception {
        // The client asks for BSON (q=0.9 over NDJSON) with gzip; the relay makes it take plain NDJSON.
        try (NodeSyncClient client = startClient(null, Map.of("accept", "application/x-ndjson", "accept-encoding", ""))) {
            assertTables(client.nextEvent("synced", CLIENT_TIMEOUT.plusSeconds(10)));
            assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
        }
        assertClientUsedHttpStreaming("application/x-ndjson", false);
    }

    @Test
    void changesPublishedWhileConnectedArriveOnTheOpenStream() throws Exception {
        try (NodeSyncClient client = startClient("todos:t9", Map.of())) {
            assertTables(client.nextEvent("synced", CLIENT_TIMEOUT.plusSeconds(10)));

            put(L1, "todos", "t9", "{\"id\":\"t9\",\"list_id\":\"l1\",\"description\":\"added live\",\"done\":0,"
                    + "\"estimate\":2.75,\"created_at\":\"2026-11-26T01:00:00Z\"}");
            put(L2, "lists", "l2", "{\"id\":\"l2\",\"name\":\"Büro (renamed)\",\"owner_id\":\"user-1\",\"position\":3}");
            remove(L1, "todos", "t2");
            backend.publish();

            JsonNode changed = client.nextEvent("changed", Duration.ofSeconds(30));
            assertTables(changed);
            assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
        }
        assertThat(backend.requests).as("one stream carried both checkpoints: no reconnect").hasSize(1);
        assertClientUsedHttpStreaming("application/vnd.powersync.bson-stream", true);
    }

    @Test
    void webSocketTransportSyncsAndReceivesALiveChange() throws Exception {
        try (NodeSyncClient client = startClient("todos:t9", Map.of(), "--transport", "websocket")) {
            assertTables(client.nextEvent("synced", CLIENT_TIMEOUT.plusSeconds(10)));

            put(L1, "todos", "t9", "{\"id\":\"t9\",\"list_id\":\"l1\",\"description\":\"added live\",\"done\":1}");
            remove(L2, "todos", "t3");
            backend.publish();

            assertTables(client.nextEvent("changed", Duration.ofSeconds(30)));
            assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
        }
        assertThat(backend.requests).as("one RSocket stream carried both checkpoints").hasSize(1);
        assertThat(proxy.requests).as("requests:\n%s", proxy.describe())
                .noneMatch(r -> r.method().equals("POST") && r.path().equals("/sync/stream"))
                .anySatisfy(r -> {
                    assertThat(r.method()).isEqualTo("GET");
                    assertThat(r.path()).isEqualTo("/sync/stream");
                    assertThat(r.headers()).containsEntry("upgrade", "websocket");
                });
        assertThat(proxy.responseHeads.getFirst()).startsWith("HTTP/1.1 101");
        assertThat(tokensSeen).as("the token travelled in the SETUP frame").containsOnly("token-of-" + USER);
    }

    @Test
    void aChecksumMismatchMakesTheClientDownloadTheBucketAgain() throws Exception {
        backend.corruptChecksum(L1, 1); // only the first connection is told a wrong sum for L1
        try (NodeSyncClient client = startClient(null, Map.of(), "--tolerate-checksum-mismatch", "--retry-delay-ms", "200")) {
            JsonNode synced = client.nextEvent("synced", CLIENT_TIMEOUT.plusSeconds(10));
            assertTables(synced);
            // (the SDK may log the same failure more than once; one wrong sum was served)
            assertThat(synced.path("checksumFailures").asInt()).as("checksum failures the SDK logged").isPositive();
            assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
        }
        assertThat(backend.requests).as("the mismatch ended the first stream and the client reconnected").hasSize(2);
        assertThat(backend.requests.getFirst().buckets()).isEmpty();
        // The client threw away what it had of L1 and asks for it from the start again.
        assertThat(backend.requests.get(1).buckets())
                .as("buckets named in the second request").noneMatch(b -> b.name().equals(L1) && b.after() != 0);
    }

    @Test
    void aTokenNearExpiryIsRefreshedAndTheStreamGoesOnWithTheNewOne() throws Exception {
        String shortLived = "short-lived-" + USER;
        String fresh = "fresh-" + USER;
        tokenLifetime.put(shortLived, Duration.ofSeconds(8));
        tokenLifetime.put(fresh, Duration.ofHours(1));
        proxy = new RecordingProxy(server.port(), Map.of());
        try (NodeSyncClient client = NodeSyncClient.start(node, repoRoot, "http://127.0.0.1:" + proxy.port(), shortLived,
                JSON.writeValueAsString(SCHEMA), "todos:t9", CLIENT_TIMEOUT, "--token", fresh)) {
            assertTables(client.nextEvent("synced", CLIENT_TIMEOUT.plusSeconds(10)));

            // The server warns at once (8 s left < 20 s), the client fetches a fresh token and streams
            // with it (whether before or after its first sync completed is up to the client).
            Instant firstExpiry = tokenExpiry.get(shortLived);
            assertThat(firstExpiry).as("the short-lived token was used").isNotNull();
            awaitCondition(Duration.ofSeconds(30), () -> tokensSeen.contains(fresh) && Instant.now().isAfter(firstExpiry),
                    () -> "tokens the server saw: " + tokensSeen + "; stderr:\n" + client.stderr());
            put(L1, "todos", "t9", "{\"id\":\"t9\",\"list_id\":\"l1\",\"description\":\"after expiry\",\"done\":0}");
            backend.publish();

            JsonNode changed = client.nextEvent("changed", Duration.ofSeconds(30));
            assertTables(changed);
            assertThat(changed.path("credentials").asInt()).as("fetchCredentials calls").isGreaterThanOrEqualTo(2);
            assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
        }
        assertThat(tokensSeen.getFirst()).isEqualTo(shortLived);
        assertThat(tokensSeen.getLast()).isEqualTo(fresh);
        assertThat(backend.requests).as("a new connection with the new token").hasSizeGreaterThanOrEqualTo(2);
        List<String> authorizations = proxy.requests.stream().filter(r -> r.path().equals("/sync/stream"))
                .map(r -> r.headers().get("authorization")).toList();
        assertThat(authorizations).as("Authorization of each sync request").startsWith("Token " + shortLived)
                .endsWith("Token " + fresh);
    }

    @Test
    void whenTheRefreshFailsTheStreamRunsUntilExpiryAndTheClientResumesWithANewToken() throws Exception {
        String shortLived = "short-lived-" + USER;
        String fresh = "fresh-" + USER;
        tokenLifetime.put(shortLived, Duration.ofSeconds(6));
        tokenLifetime.put(fresh, Duration.ofHours(1));
        proxy = new RecordingProxy(server.port(), Map.of());
        // Call 1 gives the short token, call 2 (the refresh on the server's warning) fails, call 3 gives the fresh one.
        try (NodeSyncClient client = NodeSyncClient.start(node, repoRoot, "http://127.0.0.1:" + proxy.port(), shortLived,
                JSON.writeValueAsString(SCHEMA), "todos:t9", CLIENT_TIMEOUT, "--token", fresh, "--fail-credentials", "2",
                "--retry-delay-ms", "300")) {
            assertTables(client.nextEvent("synced", CLIENT_TIMEOUT.plusSeconds(10)));

            // The server sends token_expires_in 0 at expiry and ends the stream; the client reconnects.
            awaitCondition(Duration.ofSeconds(30), () -> tokensSeen.contains(fresh),
                    () -> "tokens the server saw: " + tokensSeen + "; stderr:\n" + client.stderr());
            put(L1, "todos", "t9", "{\"id\":\"t9\",\"list_id\":\"l1\",\"description\":\"after expiry\",\"done\":0}");
            backend.publish();

            JsonNode changed = client.nextEvent("changed", Duration.ofSeconds(30));
            assertTables(changed);
            assertThat(changed.path("credentials").asInt()).as("fetchCredentials calls").isEqualTo(3);
            assertThat(client.awaitExit(Duration.ofSeconds(15))).as("exit code; stderr:\n%s", client.stderr()).isZero();
        }
        assertThat(tokensSeen).as("one connection per token").containsExactly(shortLived, fresh);
        assertThat(tokenFirstSeen.get(fresh)).as("the new connection came only after the first token expired")
                .isAfterOrEqualTo(tokenExpiry.get(shortLived));
        assertThat(backend.requests).hasSize(2);
        // The second connection resumes: both buckets named with the op id the client already holds.
        assertThat(backend.requests.get(1).buckets()).extracting(b -> b.name()).containsExactlyInAnyOrder(L1, L2);
        assertThat(backend.requests.get(1).buckets()).allSatisfy(b -> assertThat(b.after()).isPositive());
    }

    private static void awaitCondition(Duration timeout, java.util.function.BooleanSupplier condition,
                                       java.util.function.Supplier<String> state) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within " + timeout + ": " + state.get());
            }
            Thread.sleep(50);
        }
    }

    private NodeSyncClient startClient(String waitFor, Map<String, String> replacedHeaders, String... extraArgs)
            throws IOException {
        proxy = new RecordingProxy(server.port(), replacedHeaders);
        return NodeSyncClient.start(node, repoRoot, "http://127.0.0.1:" + proxy.port(), "token-of-" + USER,
                JSON.writeValueAsString(SCHEMA), waitFor, CLIENT_TIMEOUT, extraArgs);
    }

    private void put(String bucket, String table, String id, String data) {
        backend.put(bucket, table, id, data);
        if (!bucket.equals(OTHER)) {
            expected.computeIfAbsent(table, t -> new TreeMap<>()).put(id, data);
        }
    }

    private void remove(String bucket, String table, String id) {
        backend.remove(bucket, table, id);
        expected.getOrDefault(table, new TreeMap<>()).remove(id);
    }

    /** The client streamed over {@code POST /sync/stream} and got the given framing and encoding. */
    private void assertClientUsedHttpStreaming(String contentType, boolean gzip) {
        List<RecordingProxy.Request> streams = proxy.requests.stream()
                .filter(r -> r.method().equals("POST") && r.path().equals("/sync/stream")).toList();
        assertThat(streams).as("requests:\n%s", proxy.describe()).isNotEmpty();
        assertThat(streams.getFirst().headers()).containsEntry("authorization", "Token token-of-" + USER)
                .containsKey("x-user-agent");
        assertThat(backend.requests.getFirst().clientId()).as("client_id").isNotBlank();
        String response = proxy.responseHeads.getFirst().toLowerCase(java.util.Locale.ROOT);
        assertThat(response).startsWith("http/1.1 200").contains("content-type: " + contentType);
        assertThat(response.contains("content-encoding: gzip")).as(response).isEqualTo(gzip);
    }

    /** Compares every table the client printed with {@link #expected}. */
    private void assertTables(JsonNode event) throws IOException {
        log.info("the client printed: {}", event);
        ClientTables.assertMatches(event, SCHEMA, expected);
    }
}
