package dev.syncline.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.interop.StreamsFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sync Streams with our web SDK ({@code clients/web}: {@code db.syncStream(name, params).subscribe()})
 * in Debian's Chromium with an on-disk profile, against the whole server and PostgreSQL — the
 * scenarios {@code PowerSyncNodeStreamsIT} and {@code PowerSyncWebStreamsIT} run with the stock
 * clients, with their rules: an {@code auto_subscribe} edition-3 JOIN stream syncs without a
 * subscription and grants and revokes lists as memberships change; a parameterised subscription
 * adds exactly its rows; an unsubscribed stream's rows stay until its TTL has run out, then go;
 * priority 1 completes before priority 3; a follower tab that closes releases its subscriptions. The page ({@code test-pages/sdk.html}) reports through
 * {@code window.sl}.
 */
class WebSdkStreamsIT {
    static final Duration SYNC = Duration.ofSeconds(60);
    static BrowserFixture fixture;
    static BrowserDriver browser;

    @TempDir
    Path dir;

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

    @AfterEach
    void closePages() {
        // each test opens its own page in its own context; nothing shared to reset
    }

    static String open(RunningApp app, String user, String page) throws Exception {
        String ctx = fixture.newPersistentContext(user);
        browser.page(ctx, page, fixture.pageUrl(app.endpoint(), app.token(user), user, ""));
        assertThat(browser.eval(page, "sl.storage").asText()).isEqualTo("opfs-sahpool");
        return ctx;
    }

    static List<String> ids(String page, String table) throws Exception {
        return BrowserFixture.ids(browser.eval(page, "sl.query('SELECT id FROM " + table + " ORDER BY id')"));
    }

    /** Waits (polling the page's database) until the table holds exactly these ids, in id order. */
    static void awaitIds(String page, String table, String... ids) throws Exception {
        long end = System.nanoTime() + SYNC.toNanos();
        List<String> seen = ids(page, table);
        while (!seen.equals(List.of(ids))) {
            if (System.nanoTime() > end) {
                throw new AssertionError(table + " held " + seen + ", not " + List.of(ids) + " within " + SYNC
                        + "; streams: " + browser.eval(page, "sl.streams()") + "\nbrowser log:\n" + browser.log());
            }
            Thread.sleep(100);
            seen = ids(page, table);
        }
    }

    /** Subscribes and waits for the subscription's first sync; returns the page's subscription index. */
    static int subscribe(String page, String stream, String paramsJson, String optionsJson) throws Exception {
        int index = browser.eval(page, "sl.subscribe('" + stream + "', " + paramsJson + ", " + optionsJson + ")").asInt();
        JsonNode done = browser.waitFor(page, "sl.subscribed(" + index + ")", SYNC);
        assertThat(done.isBoolean()).as("subscription failed: %s", done).isTrue();
        return index;
    }

    static JsonNode forStream(String page, String stream, String paramsJson) throws Exception {
        return browser.eval(page, "sl.forStream('" + stream + "', " + paramsJson + ")");
    }

    @Test
    void aDefaultStreamSyncsAloneAndASubscriptionAddsExactlyItsRows() throws Exception {
        try (RunningApp app = RunningApp.start(fixture.postgres, dir, "", StreamsFixture.RULES).awaitReady()) {
            open(app, "alice", "a");
            browser.waitFor("a", "sl.status && sl.status.hasSynced", SYNC);
            awaitIds("a", "lists", "l1", "l2");
            assertThat(ids("a", "todos")).as("no subscription yet").isEmpty();
            JsonNode myLists = forStream("a", "my_lists", "null");
            assertThat(myLists.path("subscription").path("isDefault").asBoolean()).isTrue();
            assertThat(myLists.path("subscription").path("hasExplicitSubscription").asBoolean()).isFalse();
            assertThat(myLists.path("subscription").path("hasSynced").asBoolean()).isTrue();

            subscribe("a", "list_todos", "{list_id: 'l1'}", "{priority: 1}");
            assertThat(ids("a", "todos")).containsExactly("t1");
            JsonNode l1 = forStream("a", "list_todos", "{list_id: 'l1'}");
            assertThat(l1.path("subscription").path("active").asBoolean()).isTrue();
            assertThat(l1.path("subscription").path("hasExplicitSubscription").asBoolean()).isTrue();
            assertThat(l1.path("priority").asInt()).as("override_priority of the subscription").isEqualTo(1);
            assertThat(l1.path("errors")).isEmpty();

            // l3 is bob's: the subscription is accepted, the subquery grants no row of it.
            subscribe("a", "list_todos", "{list_id: 'l3'}", "{}");
            assertThat(ids("a", "todos")).containsExactly("t1");

            app.db.execute("INSERT INTO todos VALUES ('t4', 'l1', 'live', false, 4)",
                    "INSERT INTO todos VALUES ('t5', 'l2', 'not subscribed', false, 5)");
            awaitIds("a", "todos", "t1", "t4");
            assertThat(ids("a", "sl_oplog")).doesNotContain("t2", "t5", "t3");

            // A stream the config does not define: the server reports it, waitForFirstSync rejects.
            int nope = browser.eval("a", "sl.subscribe('nope', null, {})").asInt();
            JsonNode failed = browser.waitFor("a", "sl.subscribed(" + nope + ")", SYNC);
            assertThat(failed.asText()).contains("SYNC_STREAM_ERROR", "nope");
            browser.close("a");
        }
    }

    @Test
    void aJoinOverMembershipsGrantsAndRevokesListsLive() throws Exception {
        try (RunningApp app = RunningApp.start(fixture.postgres, dir, "", StreamsFixture.RULES).awaitReady()) {
            open(app, "alice", "j");
            awaitIds("j", "lists", "l1", "l2");
            app.db.execute("INSERT INTO list_members VALUES ('l3', 'alice')");
            awaitIds("j", "lists", "l1", "l2", "l3");
            app.db.execute("DELETE FROM list_members WHERE list_id = 'l2' AND user_id = 'alice'");
            awaitIds("j", "lists", "l1", "l3");
            browser.close("j");
        }
    }

    @Test
    void anUnsubscribedStreamKeepsItsRowsUntilItsTtlHasRunOut() throws Exception {
        try (RunningApp app = RunningApp.start(fixture.postgres, dir, "", StreamsFixture.RULES).awaitReady()) {
            open(app, "alice", "t");
            awaitIds("t", "lists", "l1", "l2");

            // A long TTL: released, the subscription stays requested (also across a reload) and its rows stay.
            int long1 = subscribe("t", "list_todos", "{list_id: 'l2'}", "{ttl: 3600}");
            assertThat(ids("t", "todos")).containsExactly("t2");
            long before = browser.eval("t", "Date.now()").asLong();
            browser.eval("t", "sl.unsubscribe(" + long1 + ")");
            JsonNode released = browser.waitFor("t",
                    "(s => s && s.subscription.expiresAt !== null && s.subscription.expiresAt - Date.now() < 3600 * 1000 + 5000 && s)"
                            + "(sl.forStream('list_todos', {list_id: 'l2'}))", SYNC);
            assertThat(released.path("subscription").path("expiresAt").asLong()).isGreaterThan(before + 3500_000L);
            browser.reload("t", true);
            browser.waitFor("t", "sl.status && sl.status.connected && sl.status.hasSynced", SYNC);
            JsonNode persisted = forStream("t", "list_todos", "{list_id: 'l2'}");
            assertThat(persisted.path("subscription").path("hasExplicitSubscription").asBoolean()).isTrue();
            assertThat(persisted.path("subscription").path("hasSynced").asBoolean()).isTrue();
            app.db.execute("INSERT INTO todos VALUES ('t6', 'l2', 'still requested', false, 6)");
            awaitIds("t", "todos", "t2", "t6");

            // Subscribed again with a 1 s TTL and released: once it has run out, the rows go.
            int short1 = subscribe("t", "list_todos", "{list_id: 'l2'}", "{ttl: 1}");
            browser.eval("t", "sl.unsubscribe(" + short1 + ")");
            awaitIds("t", "todos");
            assertThat(ids("t", "lists")).containsExactly("l1", "l2");
            assertThat(forStream("t", "list_todos", "{list_id: 'l2'}").isNull()).as("no longer tracked: %s",
                    browser.eval("t", "Promise.all([Date.now(), sl.streams(), sl.query('SELECT * FROM sl_stream_subscriptions'), sl.status])")).isTrue();
            assertThat(ids("t", "sl_oplog")).doesNotContain("t2", "t6");
            browser.close("t");
        }
    }

    @Test
    void aSubscriptionHeldByAClosedFollowerTabRunsDownItsTtl() throws Exception {
        try (RunningApp app = RunningApp.start(fixture.postgres, dir, "", StreamsFixture.RULES).awaitReady()) {
            String ctx = open(app, "alice", "leader");
            browser.page(ctx, "follower", fixture.pageUrl(app.endpoint(), app.token("alice"), "alice", ""));
            assertThat(browser.eval("leader", "sl.isLeader()").asBoolean()).isTrue();
            assertThat(browser.eval("follower", "sl.isLeader()").asBoolean()).isFalse();
            awaitIds("leader", "lists", "l1", "l2");

            subscribe("follower", "list_todos", "{list_id: 'l2'}", "{ttl: 1}");
            awaitIds("leader", "todos", "t2");
            // The follower goes without unsubscribing: its handle is released with it, the TTL runs out.
            browser.close("follower");
            awaitIds("leader", "todos");
            assertThat(ids("leader", "lists")).containsExactly("l1", "l2");
            browser.close("leader");
        }
    }

    @Test
    void aPriorityOneStreamCompletesBeforeAPriorityThreeOne() throws Exception {
        try (RunningApp app = RunningApp.start(fixture.postgres, dir, "", StreamsFixture.PRIORITY_RULES).awaitReady()) {
            open(app, "alice", "p");
            browser.waitFor("p", "sl.firstSynced.length >= 2", SYNC);
            awaitIds("p", "todos", "t1", "t2");
            JsonNode order = browser.eval("p", "sl.firstSynced");
            List<String> names = new ArrayList<>();
            order.forEach(f -> names.add(f.path("name").asText()));
            assertThat(names).containsExactly("lists_first", "todos_later");
            assertThat(order.get(0).path("seq").asInt()).as("lists_first completed in an earlier status than todos_later: %s", order)
                    .isLessThan(order.get(1).path("seq").asInt());
            assertThat(forStream("p", "lists_first", "null").path("priority").asInt()).isEqualTo(1);
            assertThat(forStream("p", "todos_later", "null").path("priority").asInt()).isEqualTo(3);
            browser.close("p");
        }
    }
}
