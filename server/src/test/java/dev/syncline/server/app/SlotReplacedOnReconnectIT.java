package dev.syncline.server.app;

import dev.syncline.server.pipeline.BucketOracle;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The slot check runs on every reconnect, not only at start: the walsender connection drops, and
 * before capture reconnects the slot is dropped and re-created with a transaction committed in
 * between. The running server must refuse the new slot (and not retry it in a loop) instead of
 * streaming from it and skipping that transaction, and then copy everything again into a new
 * storage generation from a new slot, the gap's transaction included.
 */
class SlotReplacedOnReconnectIT {
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    @TempDir
    Path dir;

    @Test
    void aSlotReplacedWhileCaptureReconnectsIsRefused() throws Exception {
        try (RunningApp running = RunningApp.start(server.server(), dir).awaitReady()) {
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

            long recovered = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (running.app.captureProblem().isPresent()) {   // generation 1 serves once it caught up
                assertThat(System.nanoTime()).as("copied again into a new generation").isLessThan(recovered);
                Thread.sleep(100);
            }
            try (SqliteBucketStorage g1 = SqliteBucketStorage.open(dir.resolve("storage/syncline.db-g1"))) {
                assertThat(BucketOracle.stored(g1).getOrDefault("user_lists[\"l1\"]", Map.of()))
                        .containsKey(List.of("todos", "t-gap"));
            }
            try (var c = running.db.connect(); var st = c.createStatement(); var rs = st.executeQuery(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'syncline_g1'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("the new generation's slot").isEqualTo(1);
            }
        }
    }
}
