package dev.syncline.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.server.app.RunningApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web SDK ({@code clients/web}) in Debian's Chromium against the whole server: real PostgreSQL,
 * the membership sync rules of {@link RunningApp}, real JWTs. Each user gets a browser context of
 * its own (its own OPFS); the page ({@code test-pages/sdk.html}) reports what it holds through
 * {@code window.sl} and the assertions are made here.
 */
class WebSdkBrowserIT {
    static final Duration SYNC = BrowserFixture.SYNC;
    static BrowserFixture fixture;
    static BrowserDriver browser;

    @TempDir
    Path dir;
    RunningApp app;

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
        app = RunningApp.start(fixture.postgres, dir).awaitReady();
    }

    @AfterEach
    void stopApp() {
        if (app != null) {
            app.close();
        }
    }

    static String newContext(String user) throws Exception {
        return fixture.newContext(user);
    }

    String pageUrl(String user, String extra) {
        return fixture.pageUrl(app.endpoint(), app.token(user), user, extra);
    }

    static List<String> ids(JsonNode rows) {
        return BrowserFixture.ids(rows);
    }

    /** Waits until the watched todos hold exactly these ids (in id order) and returns the rows. */
    static JsonNode awaitTodos(String page, String... ids) throws Exception {
        String expected = String.join(",", ids);
        return browser.waitFor(page, "sl.todos && sl.todos.map(r => r.id).join(',') === '" + expected + "' && sl.todos", SYNC);
    }

    @Test
    void hasSyncedComesWithTheRowsOfTheFirstCheckpointNotBefore() throws Exception {
        // Twenty data lines: the first is stored long before the checkpoint is applied.
        app.db.execute("INSERT INTO todos SELECT 'bulk' || g, 'l1', 'bulk', false, g FROM generate_series(1, 20000) g");
        // A first page until the server's checkpoints hold them all; then a fresh browser context
        // (an empty database) whose first checkpoint is all 20,002 todos.
        browser.page(newContext("alice"), "w", pageUrl("alice", "&watch=0"));
        long deadline = System.nanoTime() + SYNC.toNanos();
        while (browser.eval("w", "sl.query('SELECT count(*) AS n FROM todos')").get(0).path("n").asInt() != 20_002) {
            assertThat(System.nanoTime()).as("20,002 todos synced within %s", SYNC).isLessThan(deadline);
            Thread.sleep(100);
        }
        browser.close("w");
        String ctx = newContext("alice");
        browser.page(ctx, "a", pageUrl("alice", "&watch=0"));
        JsonNode seen = browser.waitFor("a", "typeof sl.todosAtHasSynced === 'number' && {n: sl.todosAtHasSynced}", SYNC);
        assertThat(seen.path("n").asInt()).as("todos a query saw right after the first status with hasSynced").isEqualTo(20_002);
        assertThat(browser.eval("a", "sl.status.lastSyncedAt").isNumber()).isTrue();
        browser.close("a");
    }

    @Test
    void initialSyncThenALiveInsertFromPostgres() throws Exception {
        String ctx = newContext("alice");
        browser.page(ctx, "a", pageUrl("alice", ""));
        assertThat(browser.eval("a", "sl.storage").asText()).isEqualTo("opfs-sahpool");

        JsonNode rows = awaitTodos("a", "t1", "t2");
        assertThat(rows.get(0).path("description").asText()).isEqualTo("Milk");
        assertThat(rows.get(0).path("done").asInt()).isZero();
        assertThat(rows.get(1).path("done").asInt()).isEqualTo(1);
        assertThat(ids(browser.eval("a", "sl.query('SELECT id FROM lists ORDER BY id')"))).containsExactly("l1", "l2");
        JsonNode status = browser.waitFor("a", "sl.status && sl.status.connected && sl.status.lastSyncedAt && sl.status", SYNC);
        assertThat(status.path("hasSynced").asBoolean()).isTrue();
        assertThat(status.path("lastError").isNull()).isTrue();

        app.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'added live', true, 9)");
        JsonNode live = awaitTodos("a", "t1", "t2", "t9");
        assertThat(live.get(2).path("description").asText()).isEqualTo("added live");
        assertThat(live.get(2).path("done").asInt()).isEqualTo(1);

        app.db.execute("DELETE FROM todos WHERE id = 't2'");
        awaitTodos("a", "t1", "t9");
        browser.close("a");
    }

    @Test
    void aNonMemberNeverReceivesAnotherListsRows() throws Exception {
        String ctx = newContext("bob");
        browser.page(ctx, "b", pageUrl("bob", ""));
        awaitTodos("b", "t1", "t3");
        // t20 is in Alice's private list; t21, inserted after it, proves bob's stream got past that point.
        app.db.execute("INSERT INTO todos VALUES ('t20', 'l2', 'alice only', false, 20)");
        app.db.execute("INSERT INTO todos VALUES ('t21', 'l1', 'shared', false, 21)");
        awaitTodos("b", "t1", "t21", "t3");
        assertThat(ids(browser.eval("b", "sl.query('SELECT id FROM sl_oplog ORDER BY id')"))).doesNotContain("t2", "t20", "l2");
        assertThat(ids(browser.eval("b", "sl.query('SELECT id FROM lists ORDER BY id')"))).containsExactly("l1", "l3");
        browser.close("b");
    }

    @Test
    void syncedDataIsReadableAfterAReloadBeforeTheNetworkAnswers() throws Exception {
        String ctx = newContext("alice");
        browser.page(ctx, "a", pageUrl("alice", ""));
        awaitTodos("a", "t1", "t2");
        browser.close("a");
        // Same context (same OPFS), and this time the page never connects: what it shows comes from disk.
        browser.page(ctx, "a2", pageUrl("alice", "&connect=0"));
        assertThat(browser.eval("a2", "sl.storage").asText()).isEqualTo("opfs-sahpool");
        assertThat(ids(browser.eval("a2", "sl.firstTodos"))).containsExactly("t1", "t2");
        // A plain reload too (the worker's OPFS access handles are released and taken again).
        browser.reload("a2", true);
        assertThat(ids(browser.eval("a2", "sl.firstTodos"))).containsExactly("t1", "t2");
        browser.close("a2");
    }

    @Test
    void twoTabsShareOneDatabaseAndTheSecondTakesOverWhenTheLeaderCloses() throws Exception {
        String ctx = newContext("alice");
        browser.page(ctx, "leader", pageUrl("alice", ""));
        browser.page(ctx, "follower", pageUrl("alice", ""));
        assertThat(browser.eval("leader", "sl.isLeader()").asBoolean()).isTrue();
        assertThat(browser.eval("follower", "sl.isLeader()").asBoolean()).isFalse();
        awaitTodos("leader", "t1", "t2");
        awaitTodos("follower", "t1", "t2");

        browser.close("leader");
        browser.waitFor("follower", "sl.isLeader()", Duration.ofSeconds(5));
        // The new leader reopened the same OPFS database and resumed sync (queued writes: WebSdkUploadIT).
        assertThat(browser.eval("follower", "sl.db.storage").asText()).isEqualTo("opfs-sahpool");
        assertThat(ids(browser.eval("follower", "sl.query('SELECT id FROM todos ORDER BY id')"))).containsExactly("t1", "t2");
        browser.waitFor("follower", "sl.status && sl.status.connected", SYNC);
        app.db.execute("INSERT INTO todos VALUES ('t6', 'l1', 'after the takeover', false, 6)");
        browser.waitFor("follower", "sl.todos && sl.todos.some(r => r.id === 't6')", SYNC);
        browser.close("follower");
    }
}
