package dev.syncline.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.server.app.RunningApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web SDK stays responsive while it downloads and applies 100,000 rows: Chromium with an
 * on-disk profile (OPFS in files, like a user's browser) against the whole server and PostgreSQL.
 * The page first syncs a small checkpoint and closes; PostgreSQL then gets 100k todos in one
 * transaction; the reopened page connects and, until the new rows are visible, queries a row of the
 * first checkpoint by primary key, one query after another. Every query must answer with that row
 * — while the ops are downloading and while the checkpoint is being applied — and the todo count
 * must jump from the old checkpoint's to the new one's with nothing in between (the apply is
 * sliced, the publish atomic), and queries must also answer in the middle of the download (while
 * the worker stores and merges, its read-only queries pass between a store's statements).
 * Latencies (p50/p99/max per phase and over the whole sync) are printed, not asserted.
 */
class WebSdkLargeSyncIT {
    static final int ROWS = 100_000;
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

    static void awaitTodoCount(String page, int n) throws Exception {
        long deadline = System.nanoTime() + BrowserFixture.SYNC.toNanos();
        while (browser.eval(page, "sl.query('SELECT count(*) AS n FROM todos')").get(0).path("n").asInt() != n) {
            assertThat(System.nanoTime()).as("%d todos synced within %s", n, BrowserFixture.SYNC).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void pointQueriesAnswerDuringA100kRowSync() throws Exception {
        try (RunningApp app = RunningApp.start(fixture.postgres, dir).awaitReady()) {
            String ctx = fixture.newPersistentContext("alice");
            String url = fixture.pageUrl(app.endpoint(), app.token("alice"), "alice", "&watch=0");
            browser.page(ctx, "a", url);
            awaitTodoCount("a", 2);
            browser.close("a");

            // One source transaction: the server's checkpoint moves past all of it at once.
            app.db.execute("INSERT INTO todos SELECT 'bulk-' || lpad(g::text, 6, '0'), 'l1', 'bulk todo number ' || g"
                    + " || ' with some text to make it about a hundred bytes', g % 2 = 0, g FROM generate_series(1, " + ROWS + ") g");

            browser.page(ctx, "a2", url.replace("&watch=0", "&watch=0&connect=0"));
            JsonNode r = browser.call("eval", Duration.ofSeconds(180), "page", "a2",
                    "expr", "sl.pointQueriesDuringSync('t1', 'Milk', " + (ROWS + 2) + ")");
            System.out.println("[WebSdkLargeSyncIT] point queries during a " + ROWS + "-row sync (ms, page -> worker -> page): " + r);

            assertThat(r.path("wrong").asInt()).as("every point query answered with the first checkpoint's row").isZero();
            List<Integer> counts = new ArrayList<>();
            r.path("counts").forEach(n -> counts.add(n.asInt()));
            assertThat(counts).as("todo counts seen: the old checkpoint, then the whole new one").containsExactly(2, ROWS + 2);
            assertThat(r.path("downloading").path("n").asInt()).as("queries answered while ops were downloading").isGreaterThanOrEqualTo(10);
            // Between a tenth and nine tenths of the download: the worker answers between the steps
            // of its stores (read-only queries pass inside a store's transaction), not only before
            // the first op arrives or once the last is stored.
            assertThat(r.path("midDownload").asInt()).as("right answers in the middle of the download").isGreaterThanOrEqualTo(5);
            // Before the apply was sliced the applying phase had 6 answers, one of them waiting 3.9 s
            // for the one-transaction apply. Now compact lines are merged while they download (in
            // store transactions, eager) and what is left after the last op is the publish, so most
            // answers fall in the downloading phase: a query waits at most for one store or slice
            // or the publish, and queries keep answering through the whole sync.
            assertThat(r.path("downloading").path("n").asInt() + r.path("applying").path("n").asInt())
                    .as("queries answered from the first op until the new rows were visible").isGreaterThanOrEqualTo(30);
            assertThat(browser.eval("a2", "sl.query(\"SELECT description FROM todos WHERE id = 'bulk-100000'\")").get(0)
                    .path("description").asText()).startsWith("bulk todo number 100000 ");
            browser.close("a2");
        }
    }
}
