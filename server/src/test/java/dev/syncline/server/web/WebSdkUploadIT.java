package dev.syncline.server.web;

import dev.syncline.server.app.RunningApp;
import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.server.upload.UploadApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web SDK's writes in Chromium against the whole server with {@code POST /api/upload} and the demo
 * schema's Row-Level Security ({@link UploadApp}): optimistic local writes that reach PostgreSQL and the
 * other list member, a write RLS refuses reported and reverted, offline writes kept across a reload and
 * uploaded on reconnect, and queued writes surviving the close of the tab that held the database.
 */
class WebSdkUploadIT {
    static final Duration SYNC = BrowserFixture.SYNC;
    static BrowserFixture fixture;
    static BrowserDriver browser;

    @TempDir
    Path dir;
    UploadApp app;

    @BeforeAll
    static void start() throws Exception {
        fixture = BrowserFixture.start();
        browser = fixture.browser;
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    @BeforeEach
    void startApp() throws Exception {
        app = UploadApp.start(fixture.postgres, dir);
        RunningApp.awaitReady(app.app());
    }

    @AfterEach
    void stopApp() {
        if (app != null) {
            app.close();
        }
    }

    /** Opens the test page with the demo schema for a user. */
    void open(String ctx, String page, String user, String extra) throws Exception {
        browser.page(ctx, page, fixture.pageUrl(app.endpoint(), app.token(user), user, "&schema=demo" + extra));
    }

    static String ctx(String user) throws Exception {
        return fixture.newContext(user);
    }

    static JsonNode awaitTodoCount(String page, int n) throws Exception {
        return browser.waitFor(page, "sl.todos && sl.todos.length === " + n + " && sl.todos", SYNC);
    }

    /** Two tabs of one user sharing one database: "leader" runs the worker, "follower" talks to it. */
    void openLeaderAndFollower(String user) throws Exception {
        String ctx = ctx(user);
        open(ctx, "leader", user, "");
        open(ctx, "follower", user, "");
        assertThat(browser.eval("follower", "sl.isLeader()").asBoolean()).isFalse();
        awaitTodoCount("follower", 5);
    }

    static String insertTodo(String id, String list, String description) {
        return "sl.exec(\"INSERT INTO todos (id, list_id, description, completed) VALUES ('" + id + "', '" + list + "', '"
                + description + "', 0)\")";
    }

    /** The todo's description and creator in PostgreSQL, once it is there. */
    Optional<String> inPostgres(String id) throws Exception {
        try (Connection c = app.db.connect();
             PreparedStatement q = c.prepareStatement("SELECT description, created_by FROM todos WHERE id = ?::uuid")) {
            q.setString(1, id);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1) + " by " + rs.getString(2)) : Optional.empty();
            }
        }
    }

    String awaitInPostgres(String id) throws Exception {
        long end = System.nanoTime() + SYNC.toNanos();
        while (System.nanoTime() < end) {
            Optional<String> row = inPostgres(id);
            if (row.isPresent()) {
                return row.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("todo " + id + " never reached PostgreSQL; browser log:\n" + browser.log());
    }

    @Test
    void aLocalWriteShowsAtOnceReachesPostgresAndTheOtherMember() throws Exception {
        open(ctx("alice"), "alice", "alice", "");
        open(ctx("bob"), "bob", "bob", "");
        awaitTodoCount("alice", 5);
        awaitTodoCount("bob", 5);

        String id = UUID.randomUUID().toString();
        // Visible in the same watch round trip as the write, long before any server answer could come back.
        JsonNode local = browser.eval("alice", "(async () => { await " + insertTodo(id, UploadApp.SHARED_LIST, "Tea")
                + "; return sl.query('SELECT description FROM todos WHERE id = ?', ['" + id + "']); })()");
        assertThat(local.get(0).path("description").asText()).isEqualTo("Tea");
        awaitTodoCount("alice", 6);

        assertThat(awaitInPostgres(id)).isEqualTo("Tea by alice");
        JsonNode atBob = browser.waitFor("bob", "sl.todos && sl.todos.find(t => t.id === '" + id + "')", SYNC);
        assertThat(atBob.path("created_by").asText()).isEqualTo("alice");
        // Once the upload's write checkpoint came back, Alice's row is the server's version (creator stamped).
        try {
            browser.waitFor("alice", "sl.status && sl.status.pendingUploads === 0 && sl.todos.find(t => t.id === '" + id
                    + "' && t.created_by === 'alice')", SYNC);
        } catch (AssertionError e) {
            throw new AssertionError("alice status " + browser.eval("alice", "sl.status") + " row "
                    + browser.eval("alice", "sl.todos.find(t => t.id === '" + id + "')") + " crud "
                    + browser.eval("alice", "sl.query('SELECT * FROM sl_crud')"), e);
        }
        assertThat(browser.eval("alice", "sl.rejected.length").asInt()).isZero();
    }

    @Test
    void aWriteRefusedByRowLevelSecurityIsReportedAndReverted() throws Exception {
        open(ctx("bob"), "bob", "bob", "");
        awaitTodoCount("bob", 5);
        String id = UUID.randomUUID().toString();
        // Bob is not a member of Alice's work list: the policy refuses the insert.
        browser.eval("bob", insertTodo(id, "22222222-2222-4222-8222-222222222222", "sneaky"));
        awaitTodoCount("bob", 6);
        JsonNode rejected = browser.waitFor("bob", "sl.rejected.length > 0 && sl.rejected", SYNC);
        assertThat(rejected.get(0).path("code").asText()).startsWith("SYNC_U");
        assertThat(rejected.get(0).path("ops").get(0).path("id").asText()).isEqualTo(id);
        JsonNode after = awaitTodoCount("bob", 5);
        assertThat(BrowserFixture.ids(after)).doesNotContain(id);
        assertThat(inPostgres(id)).isEmpty();
    }

    @Test
    void offlineWritesSurviveAReloadAndUploadOnReconnect() throws Exception {
        String ctx = ctx("alice");
        open(ctx, "a", "alice", "");
        awaitTodoCount("a", 5);
        browser.eval("a", "sl.db.setOnline(false)");
        browser.waitFor("a", "sl.status && !sl.status.connected", SYNC);
        String id = UUID.randomUUID().toString();
        browser.eval("a", insertTodo(id, UploadApp.SHARED_LIST, "offline"));
        awaitTodoCount("a", 6);
        browser.close("a");

        // Reopen without connecting: the write and its queue entry come back from OPFS.
        open(ctx, "a2", "alice", "&connect=0");
        assertThat(BrowserFixture.ids(browser.eval("a2", "sl.firstTodos"))).contains(id);
        assertThat(browser.eval("a2", "sl.query('SELECT count(*) AS n FROM sl_crud')").get(0).path("n").asInt()).isEqualTo(1);
        assertThat(inPostgres(id)).isEmpty();

        browser.eval("a2", "sl.connect()");
        assertThat(awaitInPostgres(id)).isEqualTo("offline by alice");
        browser.waitFor("a2", "sl.status && sl.status.pendingUploads === 0 && sl.todos.length === 6", SYNC);
    }

    @Test
    void aTabThatDiesInsideAWriteTransactionDoesNotBlockTheOtherTabs() throws Exception {
        openLeaderAndFollower("alice");
        String stuck = UUID.randomUUID().toString();
        // The follower writes inside a transaction that never ends, then its tab goes away.
        browser.eval("follower", "(async () => { sl.db.writeTransaction(async (tx) => {"
                + " await tx.execute(\"INSERT INTO todos (id, list_id, description, completed) VALUES ('" + stuck + "', '"
                + UploadApp.SHARED_LIST + "', 'never committed', 0)\"); window.insideTx = true; await new Promise(() => {}); });"
                + " while (!window.insideTx) await new Promise((r) => setTimeout(r, 10)); return true; })()");
        browser.close("follower");

        // The leader's own write gets the database: the dead tab's transaction was rolled back.
        String after = UUID.randomUUID().toString();
        browser.eval("leader", "(() => { " + insertTodo(after, UploadApp.SHARED_LIST, "after the dead tab")
                + ".then(() => { window.afterDone = true; }); return true; })()");
        browser.waitFor("leader", "window.afterDone === true", SYNC);
        assertThat(awaitInPostgres(after)).isEqualTo("after the dead tab by alice");
        assertThat(BrowserFixture.ids(awaitTodoCount("leader", 6))).contains(after).doesNotContain(stuck);
        assertThat(browser.eval("leader", "sl.query(\"SELECT count(*) AS n FROM todos WHERE id = '" + stuck + "'\")")
                .get(0).path("n").asInt()).isZero();
        assertThat(inPostgres(stuck)).isEmpty();
        browser.close("leader");
    }

    @Test
    void closingTheLeaderTabKeepsQueuedWritesAndSyncAlive() throws Exception {
        openLeaderAndFollower("alice");
        // The leader's worker stops talking to the server; the follower's write is queued in the shared database.
        browser.eval("leader", "sl.db.setOnline(false)");
        browser.waitFor("leader", "sl.status && !sl.status.connected", SYNC);
        String id = UUID.randomUUID().toString();
        browser.eval("follower", insertTodo(id, UploadApp.SHARED_LIST, "queued in tab 2"));
        awaitTodoCount("follower", 6);
        awaitTodoCount("leader", 6);
        assertThat(inPostgres(id)).isEmpty();

        browser.close("leader");
        browser.waitFor("follower", "sl.isLeader()", Duration.ofSeconds(5));
        assertThat(awaitInPostgres(id)).isEqualTo("queued in tab 2 by alice");
        browser.waitFor("follower", "sl.status && sl.status.connected && sl.status.pendingUploads === 0", SYNC);
        browser.close("follower");
    }
}
