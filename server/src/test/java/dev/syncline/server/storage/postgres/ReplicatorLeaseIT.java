package dev.syncline.server.storage.postgres;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The replicator lease on a real PostgreSQL: one holder at a time, taken over when the holder's
 * session ends, and fencing — a writer whose node lost the lease cannot commit after another node
 * took it, even though it has not noticed yet.
 */
class ReplicatorLeaseIT {
    private static PostgresTestServer server;
    private static TestDatabase db;

    @BeforeAll
    static void startServer() {
        server = PostgresTestServer.start();
        db = server.createDatabase();
    }

    @AfterAll
    static void stopServer() {
        db.close();
        server.close();
    }

    private static Properties login() {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        return p;
    }

    private static ReplicatorLease lease(String schema, String holder) {
        return new ReplicatorLease(db.jdbcUrl(), login(), schema, holder);
    }

    /** Ends the lease session of {@code holder} as an administrator (or a cut connection) would. */
    private static void terminateLeaseSession(String holder) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                     + "WHERE application_name = 'syncline lease " + holder + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    private static boolean acquireWithin(ReplicatorLease lease, Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (!lease.tryAcquire()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(50);   // the terminated backend releases the lock when it has exited
        }
        return true;
    }

    @Test
    void oneHolderAtATimeAndEachTakeOverIncrementsTheEpoch() throws Exception {
        try (ReplicatorLease a = lease("lease_one", "a"); ReplicatorLease b = lease("lease_one", "b")) {
            assertThat(a.tryAcquire()).isTrue();
            assertThat(a.epoch()).isEqualTo(1);
            assertThat(b.tryAcquire()).isFalse();
            assertThat(b.epoch()).isEqualTo(-1);
            assertThat(a.stillHeld()).isTrue();

            a.release();
            assertThat(acquireWithin(b, Duration.ofSeconds(10))).isTrue();
            assertThat(b.epoch()).isEqualTo(2);
            assertThat(a.tryAcquire()).isFalse();

            terminateLeaseSession("b");
            assertThat(b.stillHeld()).isFalse();
            assertThat(acquireWithin(a, Duration.ofSeconds(10))).isTrue();
            assertThat(a.epoch()).isEqualTo(3);
        }
    }

    @Test
    void aWriterWhoseLeaseWasTakenOverCannotCommitEvenBeforeItNoticed() throws Exception {
        try (ReplicatorLease a = lease("lease_fence", "a"); ReplicatorLease b = lease("lease_fence", "b")) {
            assertThat(a.tryAcquire()).isTrue();
            try (PostgresBucketStorage storage = PostgresBucketStorage.open(db.jdbcUrl(), login(), "lease_fence", a)) {
                try (WriteTransaction tx = storage.writer().begin()) {
                    tx.put(new Placement("b[]", "t", "1"), "k1", "{}");
                    tx.commit(new CommitPosition(10), true);
                }
                assertThat(storage.checkpoints().latest().orElseThrow().position().value()).isEqualTo(10);

                WriteTransaction late = storage.writer().begin();
                late.put(new Placement("b[]", "t", "2"), "k2", "{}");
                terminateLeaseSession("a");             // node a is cut off from its lease session ...
                assertThat(acquireWithin(b, Duration.ofSeconds(10))).isTrue();   // ... and b takes over
                assertThat(a.held()).as("a has not noticed yet").isTrue();
                assertThatThrownBy(() -> late.commit(new CommitPosition(20), true))
                        .isInstanceOf(StorageException.class).hasMessageContaining("SYNC_D1301")
                        .hasMessageContaining("epoch 2");
                late.close();
                assertThat(a.stillHeld()).isFalse();
                assertThatThrownBy(() -> {
                    try (WriteTransaction tx = storage.writer().begin()) {
                        tx.put(new Placement("b[]", "t", "3"), "k3", "{}");
                        tx.commit(new CommitPosition(30), true);
                    }
                }).hasMessageContaining("SYNC_D1301").hasMessageContaining("no longer holds");
            }
            // b's storage (its fence) writes on; nothing of a's refused transactions is there
            try (PostgresBucketStorage storage = PostgresBucketStorage.open(db.jdbcUrl(), login(), "lease_fence", b)) {
                assertThat(storage.checkpoints().latest().orElseThrow().position().value()).isEqualTo(10);
                try (WriteTransaction tx = storage.writer().begin()) {
                    tx.put(new Placement("b[]", "t", "4"), "k4", "{}");
                    assertThat(tx.commit(new CommitPosition(40), true)).isPresent();
                }
                try (Connection c = db.connect(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT string_agg(o.object_id, ',' ORDER BY o.op_id) FROM lease_fence.op_segments s, "
                             + "unnest(s.op_ids, s.object_ids) AS o(op_id, object_id)")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("1,4");
                }
            }
        }
    }

    @Test
    void storageSessionsTerminatedAreReplacedAndCaptureIsToldToRetry() throws Exception {
        try (PostgresBucketStorage storage = PostgresBucketStorage.open(db.jdbcUrl(), login(), "lease_reconnect")) {
            try (WriteTransaction tx = storage.writer().begin()) {
                tx.put(new Placement("r[]", "t", "1"), "k1", "{}");
                tx.commit(new CommitPosition(10), true);
            }
            storage.reader().open().close();   // an idle reader connection in the pool
            try (Connection c = db.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                         + "WHERE application_name = 'syncline storage pid " + ProcessHandle.current().pid() + "'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("writer, write checkpoints, listener, reader").isGreaterThanOrEqualTo(4);
            }
            try (var view = storage.reader().open()) {   // the dead pooled connection is not handed out
                assertThat(view.checkpoint().orElseThrow().position().value()).isEqualTo(10);
            }
            int attempts = 0;
            while (true) {
                attempts++;
                try (WriteTransaction tx = storage.writer().begin()) {
                    tx.put(new Placement("r[]", "t", "2"), "k2", "{}");
                    tx.commit(new CommitPosition(20), true);
                    break;
                } catch (StorageException e) {
                    // the first use of the dead session fails; capture retries such a failure
                    assertThat(dev.syncline.server.storage.StorageFailures.connectionLost(e)).as(e.toString()).isTrue();
                    assertThat(attempts).as("reconnected for the next transaction").isLessThan(2);
                }
            }
            assertThat(storage.checkpoints().latest().orElseThrow().position().value()).isEqualTo(20);
            storage.writeCheckpoints().record("u", "c", 1, new CommitPosition(20));   // its connection is replaced too
            assertThat(storage.writeCheckpoints().latest("u", "c")).isEqualTo(1);
        }
    }
}
