package dev.syncline.server.pipeline;

import dev.syncline.server.source.postgres.CaptureException;
import dev.syncline.server.source.postgres.CaptureSink;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;
import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Slot incidents against the real pipeline (PostgreSQL → capture → SQLite storage): a slot that is
 * not the one storage was built from is never streamed from — a transaction committed while the
 * server was stopped must never be silently skipped — and a slot this storage did not create is
 * never dropped.
 */
class SlotIncidentsIT {
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    @TempDir
    Path dir;
    TestDatabase db;
    BucketStorage storage;
    HandOffPipeline pipeline;
    PostgresChangeCapture capture;

    @BeforeEach
    void createDatabase() {
        db = server.createDatabase();
        db.execute("CREATE TABLE lists (id bigint PRIMARY KEY, owner text, name text)",
                "CREATE TABLE todos (id bigint PRIMARY KEY, list_id bigint, title text, done int)",
                "INSERT INTO lists SELECT g, 'user' || (g % 4), 'list ' || g FROM generate_series(1, 5) g",
                "INSERT INTO todos SELECT g, g % 5 + 1, 'todo ' || g, 0 FROM generate_series(1, 100) g");
    }

    @AfterEach
    void stop() {
        stopPipeline();
        db.close();
    }

    @Test
    void aSlotDroppedAndRecreatedWhileStoppedIsRefusedAndTheGapIsNotSkipped() throws Exception {
        start();
        db.execute("INSERT INTO todos VALUES (1001, 1, 'before the stop', 0)");
        await("the todo before the stop is stored", () -> storesTodo(1001));
        stopPipeline();

        db.execute("SET synchronous_commit = on", "SELECT pg_drop_replication_slot('syncline')",
                "INSERT INTO todos VALUES (1002, 1, 'committed in the gap', 0)",
                "SELECT pg_create_logical_replication_slot('syncline', 'pgoutput')",
                "INSERT INTO todos VALUES (1003, 1, 'after the new slot', 0)");

        assertThatThrownBy(this::start).isInstanceOf(CaptureException.class)
                .hasMessageContaining("SYNC_C1105").hasMessageContaining("syncline")
                .hasMessageContaining("copies everything again into a new storage generation");
        assertThat(slotExists("syncline")).as("the new slot is left alone").isTrue();
        try (BucketStorage observer = SqliteBucketStorage.open(storageFile())) {
            assertThat(storesTodo(observer, 1003)).as("nothing was streamed from the new slot").isFalse();
        }
    }

    @Test
    void aSlotConsumedPastStorageWhileStoppedIsRefused() throws Exception {
        start();
        db.execute("INSERT INTO todos VALUES (1001, 1, 'before the stop', 0)");
        await("the todo before the stop is stored", () -> storesTodo(1001));
        stopPipeline();

        // Another consumer (a second server, pg_recvlogical, an operator) takes the slot past 1002.
        // synchronous_commit: the embedded server commits asynchronously, and the slot only reads flushed WAL.
        db.execute("SET synchronous_commit = on", "INSERT INTO todos VALUES (1002, 1, 'committed while stopped', 0)",
                "SELECT count(*) FROM pg_logical_slot_get_binary_changes('syncline', NULL, NULL, "
                        + "'proto_version', '1', 'publication_names', 'syncline')");

        assertThatThrownBy(this::start).isInstanceOf(CaptureException.class)
                .hasMessageContaining("SYNC_C1105").hasMessageContaining("only ever acknowledged up to");
    }

    @Test
    void emptyStorageNeverDropsASlotItDidNotCreate() throws Exception {
        db.execute("SELECT pg_create_logical_replication_slot('syncline', 'pgoutput')");

        assertThatThrownBy(this::start).isInstanceOf(CaptureException.class)
                .hasMessageContaining("SYNC_C1106")
                .hasMessageContaining("SELECT pg_drop_replication_slot('syncline')");
        assertThat(slotExists("syncline")).as("the other slot survives").isTrue();
    }

    @Test
    void restartsStreamFromTheirOwnSlotAfterHeartbeatsAndChanges() throws Exception {
        start();
        db.execute("INSERT INTO todos VALUES (1001, 1, 'one', 0)");
        await("stored", () -> storesTodo(1001));
        // Idle: heartbeats move the slot; storage records each position before it is confirmed.
        Lsn before = confirmedFlush();
        await("a heartbeat moved the slot", () -> !confirmedFlush().equals(before));
        stopPipeline();
        db.execute("INSERT INTO todos VALUES (1002, 1, 'two', 0)");
        start();
        await("the todo committed while stopped arrives", () -> storesTodo(1002));
    }

    @Test
    void aCrashBetweenCreatingTheSlotAndRecordingItIsRecoveredFrom() throws Exception {
        AtomicInteger snapshotsStarted = new AtomicInteger();
        openPipeline();
        // Dies right after the slot exists, before its position is stored (the second snapshotStarted).
        CaptureSink dying = (CaptureSink) Proxy.newProxyInstance(CaptureSink.class.getClassLoader(),
                new Class<?>[] {CaptureSink.class}, (proxy, method, args) -> {
                    if (method.getName().equals("snapshotStarted") && snapshotsStarted.incrementAndGet() == 2) {
                        throw new IllegalStateException("simulated crash");
                    }
                    try {
                        return method.invoke(pipeline, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        capture = new PostgresChangeCapture(settings(), dying, pipeline);
        assertThatThrownBy(capture::start).hasMessageContaining("simulated crash");
        stopPipeline();
        assertThat(slotExists("syncline")).isTrue();

        start();   // the storage recorded its intent to create that slot: it may drop it and start over
        db.execute("INSERT INTO todos VALUES (1001, 1, 'after recovery', 0)");
        await("streaming after recovery", () -> storesTodo(1001) && storesTodo(100));
    }

    /**
     * A walsender of ours whose client went silent, as PostgreSQL sees a node behind a partition
     * that drops packets: it keeps the slot until {@code wal_sender_timeout} (60 s here). Capture
     * ends it once it has not replied for 10 s instead of waiting (before: 15 s of retries, then
     * SYNC_C1103), and nothing committed meanwhile is lost.
     */
    @Test
    void aWalsenderOfOursWhoseClientWentSilentIsEndedAndStreamingResumes() throws Exception {
        start();
        db.execute("INSERT INTO todos VALUES (1001, 1, 'one', 0)");
        await("stored", () -> storesTodo(1001));
        String ours = activeWalsenderApplication();
        assertThat(ours).startsWith("syncline/");
        stopPipeline();
        await("the slot is free", () -> activeWalsenderApplication() == null);

        Connection silent = new dev.syncline.server.source.postgres.PgConnections(settings()).openReplication();
        try {
            try (Statement s = silent.createStatement()) {
                s.execute("SET application_name = '" + ours + "'");   // as capture names its own
            }
            // Started, then never read from nor replied to.
            silent.unwrap(org.postgresql.PGConnection.class).getReplicationAPI().replicationStream().logical().withSlotName("syncline")
                    .withSlotOption("proto_version", "1").withSlotOption("publication_names", "syncline")
                    .withStatusInterval(1, java.util.concurrent.TimeUnit.HOURS).start();
            int silentPid = silent.unwrap(org.postgresql.PGConnection.class).getBackendPID();
            assertThat(activeWalsenderApplication()).isEqualTo(ours);
            db.execute("INSERT INTO todos VALUES (1002, 1, 'committed while the slot was held', 0)");

            start();
            await("the todo committed while the silent walsender held the slot arrives", () -> storesTodo(1002));
            assertThat(walsenderAlive(silentPid)).as("the silent walsender was ended").isFalse();
            assertThat(storesTodo(1001)).isTrue();
        } finally {
            try {
                silent.close();
            } catch (SQLException ignored) {
                // ended by the capture: nothing left to close
            }
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    /** The application_name of the walsender holding slot syncline, or null when none does. */
    private String activeWalsenderApplication() {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT a.application_name FROM pg_replication_slots r"
                     + " JOIN pg_stat_activity a ON a.pid = r.active_pid WHERE r.slot_name = 'syncline'")) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean walsenderAlive(int pid) {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM pg_stat_activity WHERE pid = " + pid)) {
            return rs.next();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path storageFile() {
        return dir.resolve("syncline.db");
    }

    private PgSourceSettings settings() {
        return PgSourceSettings.defaults(db.jdbcUrl(), db.user(), db.password(), List.of(TodoRules.LISTS, TodoRules.TODOS))
                .withHeartbeatInterval(Duration.ofMillis(200));
    }

    private void openPipeline() {
        storage = SqliteBucketStorage.open(storageFile());
        pipeline = new HandOffPipeline(new ReplicationPipeline(storage, new TodoRules(), BatchPolicy.DEFAULT,
                System::nanoTime));
    }

    private void start() {
        openPipeline();
        capture = new PostgresChangeCapture(settings(), pipeline, pipeline);
        try {
            capture.start();
        } catch (RuntimeException e) {
            stopPipeline();
            throw e;
        }
    }

    private void stopPipeline() {
        if (capture != null) {
            capture.close();
            capture = null;
        }
        if (pipeline != null) {
            pipeline.close();
            pipeline = null;
        }
        if (storage != null) {
            storage.close();
            storage = null;
        }
    }

    private boolean storesTodo(long id) {
        return storesTodo(storage, id);
    }

    private static boolean storesTodo(BucketStorage storage, long id) {
        Map<List<String>, String> everything = BucketOracle.stored(storage).getOrDefault("everything[]", Map.of());
        return everything.containsKey(List.of("todos", Long.toString(id)));
    }

    private boolean slotExists(String slot) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
            return rs.next();
        }
    }

    private record Lsn(String text) {}

    private Lsn confirmedFlush() {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                     + "WHERE slot_name = 'syncline'")) {
            return new Lsn(rs.next() ? rs.getString(1) : "");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not reached within 60 s: " + what);
            }
            Thread.sleep(50);
        }
    }
}
