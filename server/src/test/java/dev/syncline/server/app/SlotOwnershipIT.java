package dev.syncline.server.app;

import dev.syncline.server.cli.SynclineCli;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.pipeline.BucketOracle;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two servers never share what only one may own: a second server on the same storage is refused
 * at once by the storage lock, and a second server with the same slot name (its own storage) stops
 * with a clear error instead of dropping, waiting for or stealing the first one's slot — while the
 * first keeps serving.
 */
class SlotOwnershipIT {
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    @TempDir
    Path dir;
    @TempDir
    Path otherDir;

    @Test
    void aSecondServerOnTheSameStorageFailsFast() throws Exception {
        try (RunningApp first = RunningApp.start(server.server(), dir).awaitReady()) {
            SynclineConfig same = ConfigLoader.load(dir.resolve("syncline.yaml"), Map.of("PG_URI", first.db.uri()))
                    .withPort(0);
            assertThatThrownBy(() -> SynclineApp.start(same, Clock.systemUTC()).close())
                    .hasMessageContaining("SYNC_D1001").hasMessageContaining("in use by another Syncline server")
                    .hasMessageContaining("syncline.db");
            first.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'still captured', false, 9)");
            awaitRow(first, "t9");
        }
    }

    @Test
    void aSecondServerWithTheSameSlotNameFailsFastAndTheFirstKeepsItsSlot() throws Exception {
        try (RunningApp first = RunningApp.start(server.server(), dir).awaitReady()) {
            Files.copy(dir.resolve("rules.yaml"), otherDir.resolve("rules.yaml"));
            Path config = RunningApp.writeConfig(otherDir, RunningApp.SECRET, "");
            SynclineConfig second = ConfigLoader.load(config, Map.of("PG_URI", first.db.uri())).withPort(0);
            try (SynclineApp app = SynclineApp.start(second, Clock.systemUTC())) {
                assertThat(RunningApp.awaitCaptureProblem(app, Duration.ofSeconds(60)))
                        .hasMessageContaining("SYNC_C1106").hasMessageContaining("syncline")
                        .hasMessageContaining("another Syncline server may own it");
                assertThat(app.termination()).as("the API stays up").isNotDone();
            }
            first.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'still captured', false, 9)");
            awaitRow(first, "t9");
            assertThat(first.app.termination()).isNotDone();
        }
    }

    @Test
    void serveResnapshotRefusesWhileAServerRunsOnTheStorageAndDeletesNothing() throws Exception {
        try (RunningApp first = RunningApp.start(server.server(), dir).awaitReady()) {
            StringWriter err = new StringWriter();
            AtomicBoolean served = new AtomicBoolean();
            CommandLine cli = SynclineCli.commandLine(new SynclineCli(Map.of("PG_URI", first.db.uri()),
                    config -> served.set(true)));
            cli.setErr(new PrintWriter(err, true));
            int exit = cli.execute("serve", "--resnapshot", "--config", dir.resolve("syncline.yaml").toString());
            assertThat(exit).isEqualTo(SynclineCli.INVALID);
            assertThat(err.toString()).contains("SYNC_D1001");
            assertThat(served).isFalse();
            assertThat(dir.resolve("storage/syncline.db")).exists();
            first.db.execute("INSERT INTO todos VALUES ('t9', 'l1', 'still captured', false, 9)");
            awaitRow(first, "t9");
        }
    }

    /** The first server's storage gets the row: capture still runs on its slot. */
    private void awaitRow(RunningApp app, String id) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (SqliteBucketStorage observer = SqliteBucketStorage.open(dir.resolve("storage/syncline.db"))) {
            while (System.nanoTime() < end) {
                if (BucketOracle.stored(observer).getOrDefault("user_lists[\"l1\"]", Map.of())
                        .containsKey(List.of("todos", id))) {
                    return;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("the first server did not capture " + id);
    }
}
