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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stock {@code @powersync/web} client in headless Chromium (clients/interop-web: the SDK's
 * worker, wa-sqlite with the OPFS VFS) syncs from Syncline: a page served from another loopback
 * origin (so CORS applies) completes its first sync with exactly the served rows and then receives
 * a change over the open stream. As in {@link PowerSyncNodeClientIT}, storage and tokens are
 * hand-written stand-ins; the wire protocol and the browser's view of it are under test.
 */
class PowerSyncWebClientIT {
    private static final Logger log = LoggerFactory.getLogger(PowerSyncWebClientIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUNNER = "clients/interop-web/run-browser.mjs";
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(90);
    private static final String USER = "user-1";
    private static final String TOKEN = "token-of-" + USER;
    private static final String L1 = "user_lists[\"l1\"]";
    private static final String OTHER = "user_lists[\"l9\"]";
    private static final Map<String, Map<String, String>> SCHEMA = Map.of(
            "lists", ClientTables.linked("name", "text", "position", "integer"),
            "todos", ClientTables.linked("list_id", "text", "description", "text", "done", "integer", "estimate", "real"));

    private static NodeSyncClient.Installed installed;

    private final InteropBackend backend = new InteropBackend();
    private final Map<String, Map<String, String>> expected = new TreeMap<>();
    private SyncHttpServer server;
    private RecordingProxy proxy;

    @BeforeAll
    static void findBrowserClient() {
        installed = NodeSyncClient.require("clients/interop-web/node_modules/@powersync/web",
                "clients/interop-web/node_modules/playwright-core", "clients/interop-web/dist/page.js", CHROMIUM);
    }

    @BeforeEach
    void start() throws IOException {
        Authenticator auth = header -> {
            if (header == null || !header.equals("Token " + TOKEN)) {
                throw new SyncException("PSYNC_S2106", 401, "missing or malformed Authorization header");
            }
            return new AuthenticatedUser(USER, "{\"sub\":\"" + USER + "\"}", Instant.now().plusSeconds(3600));
        };
        server = new SyncHttpServer(new HttpSettings("127.0.0.1", 0, List.of("*"), 16, 1 << 20, 1000, 1 << 20),
                auth, backend, Clock.systemUTC()).start();
        proxy = new RecordingProxy(server.port(), Map.of());
        backend.grant(USER, L1);
        put(L1, "lists", "l1", "{\"id\":\"l1\",\"name\":\"Groceries ✓\",\"position\":1}");
        put(L1, "todos", "t1", "{\"id\":\"t1\",\"list_id\":\"l1\",\"description\":\"Milk\",\"done\":0,\"estimate\":1.5}");
        put(L1, "todos", "t2", "{\"id\":\"t2\",\"list_id\":\"l1\",\"description\":\"Bread \\\"sourdough\\\"\",\"done\":1}");
        put(OTHER, "lists", "l9", "{\"id\":\"l9\",\"name\":\"not granted\",\"position\":9}");
        backend.publish();
    }

    @AfterEach
    void stop() throws IOException {
        log.info("HTTP exchanges of the browser client:\n{}", proxy.describe());
        proxy.close();
        server.close();
    }

    @Test
    void theBrowserClientOnOpfsSyncsAndReceivesALiveChange() throws Exception {
        syncInitialRowsAndALiveChange("http");
        List<RecordingProxy.Request> streams = proxy.requests.stream()
                .filter(r -> r.method().equals("POST") && r.path().equals("/sync/stream")).toList();
        assertThat(streams).as("requests:\n%s", proxy.describe()).hasSize(1);
        assertThat(streams.getFirst().headers()).as("a cross-origin request from the page")
                .containsKey("origin").containsEntry("authorization", "Token " + TOKEN);
        // The browser asked first (authorization is not a CORS-safelisted header) and was allowed.
        assertThat(proxy.requests).anySatisfy(r -> {
            assertThat(r.method()).isEqualTo("OPTIONS");
            assertThat(r.path()).isEqualTo("/sync/stream");
            assertThat(r.headers()).containsEntry("access-control-request-method", "POST");
        });
    }

    @Test
    void theBrowserClientSyncsOverWebSocketToo() throws Exception {
        syncInitialRowsAndALiveChange("websocket");
        assertThat(proxy.requests).as("requests:\n%s", proxy.describe())
                .noneMatch(r -> r.method().equals("POST") && r.path().equals("/sync/stream"))
                .anySatisfy(r -> {
                    assertThat(r.method()).isEqualTo("GET");
                    assertThat(r.path()).isEqualTo("/sync/stream");
                    assertThat(r.headers()).containsEntry("upgrade", "websocket").containsKey("origin");
                });
    }

    /** Runs the page with the given transport: first sync, then a change published while it is connected. */
    private void syncInitialRowsAndALiveChange(String transport) throws Exception {
        try (NodeSyncClient browser = NodeSyncClient.startScript(installed.node(), installed.repoRoot(), RUNNER, List.of(
                "--endpoint", "http://127.0.0.1:" + proxy.port(), "--token", TOKEN, "--schema", JSON.writeValueAsString(SCHEMA),
                "--wait-for", "todos:t9", "--vfs", "opfs", "--transport", transport, "--chromium", CHROMIUM,
                "--timeout-ms", Long.toString(CLIENT_TIMEOUT.toMillis())))) {
            JsonNode synced = browser.nextEvent("synced", CLIENT_TIMEOUT.plusSeconds(10));
            log.info("the page printed: {}", synced);
            ClientTables.assertMatches(synced, SCHEMA, expected);
            // OPFSCoopSyncVFS keeps the database as a file in the origin's private file system.
            List<String> opfs = new java.util.ArrayList<>();
            synced.path("opfsFiles").forEach(f -> opfs.add(f.asText()));
            assertThat(opfs).as("OPFS entries of the page's origin").contains(synced.path("dbFilename").asText());

            put(L1, "todos", "t9", "{\"id\":\"t9\",\"list_id\":\"l1\",\"description\":\"added live\",\"done\":0,\"estimate\":0.5}");
            put(L1, "todos", "t1", "{\"id\":\"t1\",\"list_id\":\"l1\",\"description\":\"Milk\",\"done\":1,\"estimate\":1.5}");
            backend.publish();

            JsonNode changed = browser.nextEvent("changed", Duration.ofSeconds(60));
            log.info("the page printed: {}", changed);
            ClientTables.assertMatches(changed, SCHEMA, expected);
            assertThat(browser.awaitExit(Duration.ofSeconds(20))).as("exit code; stderr:\n%s", browser.stderr()).isZero();
        }
        assertThat(backend.requests).as("one stream carried both checkpoints").hasSize(1);
    }

    private void put(String bucket, String table, String id, String data) {
        backend.put(bucket, table, id, data);
        if (!bucket.equals(OTHER)) {
            expected.computeIfAbsent(table, t -> new TreeMap<>()).put(id, data);
        }
    }
}
