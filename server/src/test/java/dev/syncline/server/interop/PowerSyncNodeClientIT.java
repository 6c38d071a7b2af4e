package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.http.AuthenticatedUser;
import dev.syncline.server.http.Authenticator;
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
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
            "lists", linked("name", "text", "owner_id", "text", "position", "integer"),
            "todos", linked("list_id", "text", "description", "text", "done", "integer", "estimate", "real",
                    "created_at", "text"));

    private static Path node;
    private static Path repoRoot;

    private final InteropBackend backend = new InteropBackend();
    /** What the client must end up with: table → id → row JSON, across the buckets granted to USER. */
    private final Map<String, Map<String, String>> expected = new TreeMap<>();
    private SyncHttpServer server;
    private RecordingProxy proxy;

    @BeforeAll
    static void findClient() {
        Optional<Path> nodeOnPath = NodeSyncClient.findNode();
        Optional<Path> root = NodeSyncClient.findRepoRoot();
        String missing = nodeOnPath.isEmpty() ? "no `node` on PATH"
                : root.isEmpty() ? NodeSyncClient.SCRIPT + " not found above " + Path.of("").toAbsolutePath()
                : !Files.isDirectory(root.get().resolve("clients/interop-node/node_modules/@powersync/node"))
                  || !Files.isDirectory(root.get().resolve("clients/interop-node/node_modules/better-sqlite3/build"))
                ? "clients/interop-node/node_modules is not installed (run `npm ci` there)" : null;
        if (missing != null && "true".equals(System.getenv("CI"))) {
            fail(missing + " — CI must provide it (.ci/run installs the client before Maven)");
        }
        assumeTrue(missing == null, () -> "skipping the PowerSync client interop test: " + missing);
        node = nodeOnPath.get();
        repoRoot = root.get();
    }

    @BeforeEach
    void start() {
        Authenticator auth = header -> {
            if (header == null || !header.equals("Token token-of-" + USER)) {
                throw new SyncException("PSYNC_S2106", 401, "missing or malformed Authorization header");
            }
            return new AuthenticatedUser(USER, "{\"sub\":\"" + USER + "\"}", Instant.now().plusSeconds(3600));
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

    private NodeSyncClient startClient(String waitFor, Map<String, String> replacedHeaders) throws IOException {
        proxy = new RecordingProxy(server.port(), replacedHeaders);
        return NodeSyncClient.start(node, repoRoot, "http://127.0.0.1:" + proxy.port(), "token-of-" + USER,
                JSON.writeValueAsString(SCHEMA), waitFor, CLIENT_TIMEOUT);
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

    /** Compares every table the client printed with {@link #expected}, as "sqliteType:value" per column. */
    private void assertTables(JsonNode event) throws IOException {
        log.info("the client printed: {}", event);
        for (Map.Entry<String, Map<String, String>> table : SCHEMA.entrySet()) {
            List<Map<String, String>> want = new ArrayList<>();
            for (String data : expected.getOrDefault(table.getKey(), Map.of()).values()) {
                JsonNode row = JSON.readTree(data);
                Map<String, String> cells = new LinkedHashMap<>();
                cells.put("id", cell("text", row.get("id")));
                table.getValue().forEach((col, type) -> cells.put(col, cell(type, row.path(col))));
                want.add(cells);
            }
            JsonNode printed = event.path("tables").path(table.getKey());
            List<Map<String, String>> got = new ArrayList<>();
            for (int i = 0; i < printed.path("rows").size(); i++) {
                JsonNode row = printed.path("rows").get(i);
                JsonNode types = printed.path("types").get(i);
                Map<String, String> cells = new LinkedHashMap<>();
                cells.put("id", types.path("id").asText() + ":" + canonical(row.path("id")));
                table.getValue().keySet().forEach(col -> cells.put(col, types.path(col).asText() + ":" + canonical(row.path(col))));
                got.add(cells);
            }
            assertThat(got).as("table %s as the client stored it", table.getKey()).isEqualTo(want);
        }
    }

    /** The SQLite type and value a served JSON value should have in a column of the given schema type. */
    private static String cell(String columnType, JsonNode value) {
        return (value.isMissingNode() || value.isNull() ? "null" : columnType) + ":" + canonical(value);
    }

    private static String canonical(JsonNode value) {
        if (value.isMissingNode() || value.isNull()) {
            return "null";
        }
        if (value.isNumber()) {
            return new BigDecimal(value.asText()).stripTrailingZeros().toPlainString();
        }
        return value.asText();
    }

    private static Map<String, String> linked(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
