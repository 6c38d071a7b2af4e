package dev.syncline.server.pipeline;

import dev.syncline.server.app.Resnapshot;
import dev.syncline.server.source.postgres.CaptureError;
import dev.syncline.server.source.postgres.CaptureException;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * A slot incident ends without a lost row: capture refuses the slot (invalidated by PostgreSQL, or
 * dropped and re-created), the operator runs the documented {@code --resnapshot}, and storage then
 * holds every row, including those committed while the server was stopped. Own server with a tiny
 * {@code max_slot_wal_keep_size}, so that a stopped server's slot really is invalidated.
 */
class SlotRecoveryIT {
    static PostgresTestServer server;
    @TempDir
    Path dir;
    TestDatabase db;
    BucketStorage storage;
    HandOffPipeline pipeline;
    PostgresChangeCapture capture;

    @BeforeAll
    static void startServer() {
        assumeFalse(PostgresTestServer.external(), "needs an embedded server with max_slot_wal_keep_size set");
        server = PostgresTestServer.start(Map.of("max_slot_wal_keep_size", "1MB", "wal_keep_size", "0"));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

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
    void anInvalidatedSlotIsRefusedAndAResnapshotBringsEveryRow() throws Exception {
        start();
        await("initial copy", () -> storesTodo(100));
        stopPipeline();
        db.execute("INSERT INTO todos VALUES (1002, 1, 'committed while stopped', 0)");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!walStatus().equals("lost")) {
            assertThat(System.nanoTime()).as("slot invalidated within 60 s").isLessThan(deadline);
            db.execute("CREATE TABLE IF NOT EXISTS filler (id int PRIMARY KEY, v text)",
                    "INSERT INTO filler SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g "
                            + "ON CONFLICT (id) DO UPDATE SET v = excluded.v",
                    "SELECT pg_switch_wal()", "CHECKPOINT");
        }

        assertThatThrownBy(this::start).isInstanceOfSatisfying(CaptureException.class,
                        e -> assertThat(e.error()).isEqualTo(CaptureError.SLOT_INVALIDATED))
                .hasMessageContaining("copies everything again into a new storage generation");

        resnapshot();
        start();
        await("every row, including the one committed while stopped", () -> storesTodo(100) && storesTodo(1002));
    }

    @Test
    void aReplacedSlotIsRefusedAndAResnapshotBringsTheGapRow() throws Exception {
        start();
        await("initial copy", () -> storesTodo(100));
        stopPipeline();
        db.execute("SELECT pg_drop_replication_slot('syncline')",
                "INSERT INTO todos VALUES (1002, 1, 'committed in the gap', 0)",
                "SELECT pg_create_logical_replication_slot('syncline', 'pgoutput')");

        assertThatThrownBy(this::start).isInstanceOfSatisfying(CaptureException.class,
                e -> assertThat(e.error()).isEqualTo(CaptureError.SLOT_REPLACED));

        resnapshot();
        start();
        db.execute("INSERT INTO todos VALUES (1003, 1, 'after the resnapshot', 0)");
        await("the gap row and later changes", () -> storesTodo(1002) && storesTodo(1003));
    }

    @Test
    void resnapshotRefusesWhileAnotherProcessStreamsFromTheSlot() throws Exception {
        start();
        await("initial copy", () -> storesTodo(100));
        // A server on other storage would hold the slot just like this one does.
        assertThatThrownBy(() -> Resnapshot.run(dir.resolve("other.db"), db.jdbcUrl(), credentials(), "syncline"))
                .hasMessageContaining("in use by pid").hasMessageContaining("nothing was deleted");
        db.execute("INSERT INTO todos VALUES (1001, 1, 'still streaming', 0)");
        await("capture unaffected", () -> storesTodo(1001));
    }

    // --- helpers -------------------------------------------------------------------------------

    private void resnapshot() {
        Resnapshot.run(dir.resolve("syncline.db"), db.jdbcUrl(), credentials(), "syncline");
    }

    private Properties credentials() {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        return p;
    }

    private void start() {
        storage = SqliteBucketStorage.open(dir.resolve("syncline.db"));
        pipeline = new HandOffPipeline(new ReplicationPipeline(storage, new TodoRules(), BatchPolicy.DEFAULT,
                System::nanoTime));
        capture = new PostgresChangeCapture(PgSourceSettings.defaults(db.jdbcUrl(), db.user(), db.password(),
                List.of(TodoRules.LISTS, TodoRules.TODOS)).withHeartbeatInterval(Duration.ofMillis(200)),
                pipeline, pipeline);
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
        return BucketOracle.stored(storage).getOrDefault("everything[]", Map.of())
                .containsKey(List.of("todos", Long.toString(id)));
    }

    private String walStatus() throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'syncline'")) {
            return rs.next() && rs.getString(1) != null ? rs.getString(1) : "";
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
