package dev.syncline.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.app.SynclineApp;
import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.demo.DemoPostgres;
import dev.syncline.server.demo.DemoSetup;
import dev.syncline.server.demo.DemoWebApp;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The demo app ({@code demo/}) as {@code syncline demo} serves it: the demo schema and sample data
 * on a test database, the whole server with the built app at {@code /} and the demo token route,
 * and alice and bob in two browser contexts of Debian's Chromium, driven through the page like a
 * user ({@code demo/test/drive-demo.mjs}). What the page shows is read from the DOM; PostgreSQL is
 * read with JDBC.
 */
class DemoAppIT {
    static final String DEMO_DIR = "demo";
    static final String SCRIPT = DEMO_DIR + "/test/drive-demo.mjs";
    static final Duration SYNC = Duration.ofSeconds(30);
    static final String SHARED_LIST = "11111111-1111-4111-8111-111111111111";
    static final String TODOS = "document.querySelector('#todo-items').innerText";

    @TempDir
    static Path dir;
    static PostgresTestServer server;
    static TestDatabase db;
    static SynclineApp app;
    static BrowserDriver browser;
    static int pages;

    @BeforeAll
    static void start() throws Exception {
        Optional<Path> node = BrowserFixture.findNode();
        Optional<Path> root = findRepoRoot();
        boolean ready = node.isPresent() && root.isPresent() && installed(root.get())
                && Files.isExecutable(Path.of("/usr/bin/chromium"));
        if (!ready && "true".equals(System.getenv("CI"))) {
            fail("node, /usr/bin/chromium and a built demo/ (npm ci && npm run build in clients/web, then demo) are required in CI");
        }
        assumeTrue(ready, "node, chromium or the built demo missing (npm ci && npm run build in clients/web, then in demo)");
        server = PostgresTestServer.start();
        db = server.createDatabase();
        try (Connection c = db.connect()) {
            DemoPostgres.prepare(c);
        }
        // What DemoCommand does, on the test database and on a free port.
        Path configFile = DemoSetup.write(dir, SynclineConfig.DEFAULT_PORT);
        SynclineConfig config = ConfigLoader.load(configFile, Map.of("SYNCLINE_DEMO_PG_URI", db.uri()));
        DevTokens tokens = DevTokens.from(config.clientAuth(), Clock.systemUTC()).orElseThrow();
        Path webRoot = DemoWebApp.builtApp(root.get().resolve(DEMO_DIR).resolve("dist")).orElseThrow();
        app = SynclineApp.start(config, Clock.systemUTC(), s -> DemoWebApp.http(tokens, Optional.of(webRoot)).apply(s).withPort(0));
        RunningApp.awaitReady(app);
        browser = BrowserDriver.start(node.get(), root.get(), SCRIPT);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (app != null) {
            app.close();
        }
        if (db != null) {
            db.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static Optional<Path> findRepoRoot() {
        return BrowserDriver.findRepoRoot(SCRIPT);
    }

    static boolean installed(Path root) {
        Path demo = root.resolve(DEMO_DIR);
        return Files.isRegularFile(demo.resolve("dist/index.html")) && Files.isRegularFile(demo.resolve("dist/app.js"))
                && Files.isRegularFile(demo.resolve("dist/worker.js")) && Files.isDirectory(demo.resolve("node_modules/playwright-core"));
    }

    static String url(String path) {
        return "http://localhost:" + app.port() + path;
    }

    /**
     * Opens the app as {@code user} in a browser context of its own (an empty OPFS), waits until it
     * is connected and returns the page's name.
     */
    static String open(String user) throws Exception {
        String page = user + "-" + (++pages);
        browser.call("context", Duration.ofSeconds(30), "ctx", page);
        browser.call("page", Duration.ofSeconds(60), "ctx", page, "page", page, "url", url("/?user=" + user));
        waitFor(page, "document.querySelector('#st-connection').textContent === 'connected'");
        return page;
    }

    static JsonNode waitFor(String page, String expr) throws Exception {
        return browser.call("wait", SYNC.plusSeconds(5), "page", page, "expr", expr, "timeoutMs", SYNC.toMillis());
    }

    static String text(String page, String selector) throws Exception {
        return browser.call("text", Duration.ofSeconds(30), "page", page, "selector", selector).asText();
    }

    static void clickList(String page, String listId) throws Exception {
        browser.call("click", Duration.ofSeconds(30), "page", page, "selector", "li[data-list-id='" + listId + "'] .list-name");
        waitFor(page, "demo.selectedList === '" + listId + "'");
    }

    @Test
    void eachUserSeesTheirListsAndTodosAndLiveChangesWithTheirLatency() throws Exception {
        String alice = open("alice");
        String bob = open("bob");
        assertThat(text(alice, "#st-connection")).isEqualTo("connected");
        assertThat(text(bob, "#st-connection")).isEqualTo("connected");
        // Lists follow memberships: the shared list for both, each one's private list only for them.
        waitFor(alice, "demo.lists.length === 2");
        assertThat(text(alice, "#list-items")).contains("Groceries (shared)", "Alice's work").doesNotContain("Bob's books");
        waitFor(bob, "demo.lists.length === 2");
        assertThat(text(bob, "#list-items")).contains("Groceries (shared)", "Bob's books").doesNotContain("Alice's work");

        clickList(alice, SHARED_LIST);
        clickList(bob, SHARED_LIST);
        waitFor(alice, TODOS + ".includes('Coffee')");
        assertThat(text(alice, "#todo-items")).contains("Milk", "Bread", "Coffee");
        assertThat(text(bob, "#todo-items")).contains("Milk", "Bread", "Coffee");
        assertThat(text(alice, "#lat-last")).isEqualTo("—"); // history is not an arrival

        // A change committed in PostgreSQL shows for both members, with its commit → visible time.
        db.execute("UPDATE todos SET description = 'Oat milk' WHERE description = 'Milk'");
        waitFor(alice, TODOS + ".includes('Oat milk')");
        waitFor(bob, TODOS + ".includes('Oat milk')");
        assertThat(text(alice, "#lat-last")).matches("\\d+ ms");
        assertThat(text(alice, "#lat-n")).isEqualTo("1");
    }

    @Test
    void aTodoAddedByAliceShowsAtOnceReachesPostgresAndShowsForBob() throws Exception {
        String alice = open("alice");
        String bob = open("bob");
        clickList(alice, SHARED_LIST);
        clickList(bob, SHARED_LIST);
        browser.call("fill", Duration.ofSeconds(30), "page", alice, "selector", "#new-todo-text", "text", "Buy eggs");
        browser.call("press", Duration.ofSeconds(30), "page", alice, "selector", "#new-todo-text", "key", "Enter");
        waitFor(alice, TODOS + ".includes('Buy eggs')");

        long end = System.nanoTime() + SYNC.toNanos();
        String createdBy = null;
        while (createdBy == null && System.nanoTime() < end) {
            createdBy = scalar("SELECT created_by FROM todos WHERE description = 'Buy eggs' AND list_id = '" + SHARED_LIST + "'");
            Thread.sleep(100);
        }
        assertThat(createdBy).as("the todo reached PostgreSQL, stamped with its author").isEqualTo("alice");
        waitFor(bob, TODOS + ".includes('Buy eggs')");
        // The server's version replaces alice's optimistic row once her write checkpoint is back:
        // updated_at is stamped only by PostgreSQL's trigger, the local insert leaves it empty.
        waitFor(alice, "demo.todos.some(t => t.description === 'Buy eggs' && t.updated_at !== null"
                + " && t.created_by === 'alice')");
        assertThat(browser.call("eval", Duration.ofSeconds(30), "page", alice, "expr", "demo.status.pendingUploads").asInt())
                .as("alice's upload queue is empty").isZero();
    }

    @Test
    void aRenameRefusedByRowLevelSecurityIsShownAndReverted() throws Exception {
        String bob = open("bob");
        // Only a list's owner may rename it; the shared list is alice's.
        browser.call("answerPrompt", Duration.ofSeconds(30), "page", bob, "text", "Bob's now");
        browser.call("click", Duration.ofSeconds(30), "page", bob, "selector", "li[data-list-id='" + SHARED_LIST + "'] .icon");
        waitFor(bob, "!document.querySelector('#rejected').hidden");
        assertThat(text(bob, "#rejected-items")).contains("SYNC_U", "bob");
        assertThat(scalar("SELECT name FROM lists WHERE id = '" + SHARED_LIST + "'")).isEqualTo("Groceries (shared)");
        // Bob's optimistic rename is undone by the next checkpoint: the server's name comes back.
        waitFor(bob, "demo.lists.some(l => l.id === '" + SHARED_LIST + "' && l.name === 'Groceries (shared)')");
        assertThat(text(bob, "#list-items")).doesNotContain("Bob's now");
    }

    /** The demo's own node tests (latency tracker, status text), so that CI runs them. */
    @Test
    void theDemoUnitTestsPass() throws Exception {
        Path demo = findRepoRoot().orElseThrow().resolve(DEMO_DIR);
        Path node = BrowserFixture.findNode().orElseThrow();
        for (List<String> command : List.of(List.of("build.mjs", "--tests"), List.of("--test", "dist-test/"))) {
            List<String> line = new java.util.ArrayList<>(List.of(node.toString()));
            line.addAll(command);
            Process p = new ProcessBuilder(line).directory(demo.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(line + " finished").isTrue();
            assertThat(p.exitValue()).as(line + " output:\n" + out).isZero();
            if (command.contains("--test")) {
                assertThat(out).contains("# fail 0").containsPattern("# pass [1-9]");
            }
        }
    }

    static String scalar(String sql) throws Exception {
        try (Connection c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    @Test
    void tokenRouteMintsForTheDemoUsersOnlyAndTheAppIsServedAtRoot() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(url("/"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Syncline demo");
        HttpResponse<String> wasm = http.send(HttpRequest.newBuilder(URI.create(url("/sqlite3.wasm"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(wasm.headers().firstValue("Content-Type")).hasValue("application/wasm");

        HttpResponse<String> alice = http.send(HttpRequest.newBuilder(URI.create(url("/demo/token?user=alice"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(alice.statusCode()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(alice.body()).path("token").asText()).contains(".");
        HttpResponse<String> mallory = http.send(HttpRequest.newBuilder(URI.create(url("/demo/token?user=mallory"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(mallory.statusCode()).isEqualTo(400);
        assertThat(mallory.body()).contains("DEMO_TOKEN_USER", "alice");
    }
}
