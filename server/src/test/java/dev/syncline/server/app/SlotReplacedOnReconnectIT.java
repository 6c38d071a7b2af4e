package dev.syncline.server.app;

import dev.syncline.server.testing.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The slot check runs on every reconnect, not only at start: the walsender connection drops, and
 * before capture reconnects the slot is dropped and re-created with a transaction committed in
 * between. The running server must refuse the new slot (and not retry it in a loop) instead of
 * streaming from it and skipping that transaction.
 */
class SlotReplacedOnReconnectIT {
    static PostgresTestServer server;
    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() { server = PostgresTestServer.start(); }

    @AfterAll
    static void stopServer() { server.close(); }

    @Test
    void aSlotReplacedWhileCaptureReconnectsIsRefused() throws Exception {
        try (RunningApp running = RunningApp.start(server, dir).awaitReady()) {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {   // cut the walsender (as a network cut would) and drop the slot before capture is back
                running.db.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                        + "WHERE slot_name = 'syncline' AND active_pid IS NOT NULL");
                try {
                    running.db.execute("SELECT pg_drop_replication_slot('syncline')");
                    break;
                } catch (IllegalStateException stillActive) {
                    if (System.nanoTime() > end) {
                        throw stillActive;
                    }
                }
            }
            running.db.execute("SET synchronous_commit = on",
                    "INSERT INTO todos VALUES ('t-gap', 'l1', 'committed in the gap', false, 7)",
                    "SELECT pg_create_logical_replication_slot('syncline', 'pgoutput')");

            // SYNC_C1105 (replaced), or SYNC_C1102 if capture came back in the instant the slot did not exist.
            assertThat(RunningApp.awaitCaptureProblem(running.app, Duration.ofSeconds(60)))
                    .hasMessageMatching("(?s).*\\[SYNC_C110[25]\\].*syncline.*");
        }
    }
}
