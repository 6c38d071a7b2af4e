package dev.syncline.server.source.postgres;

import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * A slot that PostgreSQL invalidated because it fell behind {@code max_slot_wal_keep_size} is
 * reported with a typed error instead of streaming from a hole in the WAL. Needs its own server
 * with a tiny WAL allowance.
 */
class SlotInvalidationIT {
    static PostgresTestServer server;

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

    @Test
    void anInvalidatedSlotIsReportedWithATypedError() {
        try (TestDatabase db = server.createDatabase()) {
            db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
            ReplicaSink sink = new ReplicaSink();
            PgSourceSettings settings = CaptureTestSupport.settings(db, "t").withSlotName("syncline_lost");
            try (PostgresChangeCapture capture = CaptureTestSupport.capture(settings, sink)) {
                capture.start();
            }
            Eventually.await("slot invalidated", () -> {
                for (int i = 0; i < 3; i++) {
                    db.execute("INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g "
                                    + "ON CONFLICT (id) DO UPDATE SET v = excluded.v",
                            "SELECT pg_switch_wal()");
                }
                db.execute("CHECKPOINT");
                return walStatus(db).equals("lost");
            });
            assertThatThrownBy(() -> {
                try (PostgresChangeCapture capture = CaptureTestSupport.capture(settings, sink)) {
                    capture.start();
                }
            }).isInstanceOfSatisfying(CaptureException.class,
                            e -> assertThat(e.error()).isEqualTo(CaptureError.SLOT_INVALIDATED))
                    .hasMessageContaining("syncline_lost")
                    .hasMessageContaining("max_slot_wal_keep_size");
        }
    }

    private static String walStatus(TestDatabase db) {
        try (var c = db.connect(); var s = c.createStatement();
             var rs = s.executeQuery("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'syncline_lost'")) {
            return rs.next() && rs.getString(1) != null ? rs.getString(1) : "";
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
