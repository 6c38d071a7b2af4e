package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpId;
import dev.syncline.server.faults.TcpProxy;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.StorageFailures;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.storage.WriterFence;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Storage connections have a socket timeout: a storage server that silently stops answering fails
 * the writer and readers with a clear, retryable error instead of hanging them, and the lock waits
 * that may legitimately last longer (compaction behind a long write transaction) are not cut off.
 */
class PostgresStorageTimeoutsIT {
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

    private static void write(PostgresBucketStorage s, String id, long position) {
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", id), "", "{}");
            tx.commit(new CommitPosition(position), true);
        }
    }

    /**
     * Regression: storage connections had no socket timeout, so a storage server cut off by a
     * partition that drops packets (no reset) left the writer waiting for an answer forever, and
     * capture with it. Now it fails within the timeout (2 s here, 60 s by default) with an error that
     * says so and counts as a lost connection (capture retries), and works again after the heal.
     */
    @Test
    void aWriterCutOffSilentlyFailsWithinTheSocketTimeoutAndRecoversAfterTheHeal() throws Exception {
        try (TcpProxy proxy = new TcpProxy("storage", db.port())) {
            Properties p = login();
            p.setProperty("socketTimeout", "2");
            String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db.name();
            try (PostgresBucketStorage s = PostgresBucketStorage.open(url, p, "timeouts_writer", WriterFence.NONE)) {
                write(s, "1", 1);
                proxy.blackhole();
                CompletableFuture<Void> cutWrite = CompletableFuture.runAsync(() -> write(s, "2", 2));
                Throwable failure = catchThrowable(() -> cutWrite.get(30, TimeUnit.SECONDS));
                assertThat(failure).as("the write failed within 30 s instead of hanging")
                        .isInstanceOf(ExecutionException.class);
                assertThat(failure.getCause()).isInstanceOf(StorageException.class)
                        .hasMessageContaining("did not answer within the socket timeout");
                assertThat(StorageFailures.connectionLost(failure.getCause())).as("retryable").isTrue();

                CompletableFuture<Void> cutRead = CompletableFuture.runAsync(() -> s.reader().open().close());
                Throwable readFailure = catchThrowable(() -> cutRead.get(30, TimeUnit.SECONDS));
                assertThat(readFailure).as("the read failed within 30 s instead of hanging")
                        .isInstanceOf(ExecutionException.class);
                assertThat(readFailure.getCause()).isInstanceOf(StorageException.class);

                proxy.heal();
                write(s, "3", 3);   // the writer's connection is replaced
                try (var view = s.reader().open()) {
                    assertThat(view.ops("a[]", OpId.ZERO, new OpId(Long.MAX_VALUE), 10)).hasSize(2);
                }
            }
        }
    }

    /**
     * A writer cut off by a silent partition in the middle of a write transaction (begun: the state
     * row locked) no longer holds that lock for the whole partition: PostgreSQL ends its session once
     * it has been idle in the transaction for the writer's timeout (15 s), so the writer of the node
     * that took over reads the stored state then. Before, it waited until the cut session ended (the
     * heal, or TCP keepalives: hours), failing every socket timeout (MultiNodeIT, case e, missed its
     * catch-up that way in CI).
     */
    @Test
    void aWriterCutMidTransactionReleasesTheStateRowWithinItsIdleTimeout() throws Exception {
        try (TcpProxy proxy = new TcpProxy("storage", db.port())) {
            String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db.name();
            try (PostgresBucketStorage cut = PostgresBucketStorage.open(url, login(), "timeouts_cut", WriterFence.NONE);
                 PostgresBucketStorage successor = PostgresBucketStorage.open(db.jdbcUrl(), login(), "timeouts_cut",
                         WriterFence.NONE)) {
                write(cut, "1", 1);
                WriteTransaction open = cut.writer().begin();
                proxy.blackhole();
                long cutAt = System.nanoTime();
                var threads = java.util.concurrent.Executors.newCachedThreadPool();
                assertReadsTheStateAfterTheIdleTimeout(successor, cutAt, 1, threads);
                write(successor, "2", 2);
                threads.shutdown();
                proxy.heal();
                assertThat(catchThrowable(open::close)).as("the cut transaction is gone with its session")
                        .satisfiesAnyOf(t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(StorageException.class));
            }
        }
    }

    /**
     * The compactor's transactions lock the state row as a write transaction does: one cut off in the
     * middle (here: it holds the state row and waits for the buckets table, which the test holds;
     * the partition starts, then the test lets go, so its session sits idle in the transaction) no
     * longer blocks the storage's next writer for the whole partition. Before, the writer's read of the
     * state waited until the socket timeout (60 s) and failed.
     */
    @Test
    void aCompactorCutMidTransactionReleasesTheStateRowWithinTheIdleTimeout() throws Exception {
        try (TcpProxy proxy = new TcpProxy("storage", db.port())) {
            String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db.name();
            try (PostgresBucketStorage cut = PostgresBucketStorage.open(url, login(), "timeouts_compactor", WriterFence.NONE);
                 PostgresBucketStorage successor = PostgresBucketStorage.open(db.jdbcUrl(), login(), "timeouts_compactor",
                         WriterFence.NONE);
                 var blocker = db.connect()) {
                for (int i = 0; i < 3; i++) {
                    write(cut, "1", i + 1);
                }
                var threads = java.util.concurrent.Executors.newCachedThreadPool();
                blocker.setAutoCommit(false);
                try (var st = blocker.createStatement()) {
                    st.execute("LOCK TABLE timeouts_compactor.buckets IN ACCESS EXCLUSIVE MODE");
                }
                var compaction = CompletableFuture.supplyAsync(() -> cut.compactor().compact("a[]"), threads);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!waitingForALock("SELECT op_count FROM buckets%")) {
                    assertThat(System.nanoTime()).as("the compactor holds the state row and waits within 20 s").isLessThan(deadline);
                    Thread.sleep(20);
                }
                proxy.blackhole();
                blocker.commit();   // its statement runs now; the answer goes nowhere and the session idles in the transaction
                long cutAt = System.nanoTime();
                assertReadsTheStateAfterTheIdleTimeout(successor, cutAt, 3, threads);
                write(successor, "2", 4);
                proxy.heal();
                assertThat(catchThrowable(() -> compaction.get(90, TimeUnit.SECONDS)))
                        .as("the cut compaction fails with its session").isInstanceOf(ExecutionException.class);
                threads.shutdown();
            }
        }
    }

    /** Without a socketTimeout in the properties, every storage connection gets the default (none before). */
    @Test
    void storageConnectionsHaveTheDefaultSocketTimeout() throws Exception {
        try (PostgresBucketStorage s = PostgresBucketStorage.open(db.jdbcUrl(), login(), "timeouts_default", WriterFence.NONE)) {
            int expected = (int) PostgresConnections.SOCKET_TIMEOUT.toMillis();
            assertThat(((PostgresWriter) s.writer()).connection.getNetworkTimeout()).isEqualTo(expected);
            try (var c = new PostgresConnections(db.jdbcUrl(), login(), "timeouts_default").open()) {
                assertThat(c.getNetworkTimeout()).as("readers, compactor, listener, write checkpoints").isEqualTo(expected);
            }
        }
    }

    /**
     * A compaction waiting for the state row longer than the socket timeout (behind a long write
     * transaction) is not cut off: it waits in steps of a server-side lock_timeout and goes on
     * once the writer commits.
     */
    @Test
    void compactionWaitsLongerThanTheSocketTimeoutForALongWriteTransaction() throws Exception {
        Properties p = login();
        p.setProperty("socketTimeout", "1");
        try (PostgresBucketStorage s = PostgresBucketStorage.open(db.jdbcUrl(), p, "timeouts_compaction", WriterFence.NONE)) {
            for (int i = 0; i < 3; i++) {
                write(s, "1", i + 1);
            }
            CountDownLatch began = new CountDownLatch(1);
            CountDownLatch commit = new CountDownLatch(1);
            var threads = java.util.concurrent.Executors.newCachedThreadPool();   // not the common pool: one thread on 2 cores
            CompletableFuture<Void> longWrite = CompletableFuture.runAsync(() -> {
                try (WriteTransaction tx = s.writer().begin()) {
                    began.countDown();
                    commit.await();
                    tx.put(new Placement("a[]", "t", "2"), "", "{}");
                    tx.commit(new CommitPosition(10), true);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            assertThat(began.await(30, TimeUnit.SECONDS)).isTrue();
            var compaction = CompletableFuture.supplyAsync(() -> s.compactor().compact("a[]"), threads);
            // The compaction waits for the state row across several socket timeouts (checked from here,
            // so the test does not depend on how long the wait takes).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int waits = 0;
            while (waits < 3) {
                assertThat(System.nanoTime()).as("compaction seen waiting within 30 s").isLessThan(deadline);
                assertThat(compaction).isNotDone();
                if (waitingForALock("SELECT checkpoint_op_id FROM state%")) {
                    waits++;
                    Thread.sleep(1_000);   // one socket timeout between two observations
                } else {
                    Thread.sleep(20);
                }
            }
            commit.countDown();
            longWrite.get(30, TimeUnit.SECONDS);
            assertThat(compaction.get(30, TimeUnit.SECONDS).movedOps()).isEqualTo(2);
            threads.shutdown();
        }
    }

    /**
     * The successor's writer reads the stored state (commit {@code position}) once the cut session's
     * idle timeout ended it: within 45 s (above the 15 s timeout, below the 60 s socket timeout after
     * which the waiting read would fail instead), and not before the timeout.
     */
    private static void assertReadsTheStateAfterTheIdleTimeout(PostgresBucketStorage successor, long cutAt, long position,
                                                               java.util.concurrent.ExecutorService threads) throws Exception {
        var state = CompletableFuture.supplyAsync(() -> successor.writer().loadState(), threads);
        assertThat(state.get(45, TimeUnit.SECONDS).storedCommit()).isEqualTo(new CommitPosition(position));
        assertThat(System.nanoTime() - cutAt).as("not before the idle timeout")
                .isGreaterThanOrEqualTo(PostgresWriter.IDLE_IN_TRANSACTION_TIMEOUT.toNanos() - 2_000_000_000L);
    }

    /** Whether a session of this database waits for a lock in a statement starting like {@code queryLike}. */
    private static boolean waitingForALock(String queryLike) throws Exception {
        try (var c = db.connect(); var st = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND wait_event_type = 'Lock' AND query LIKE ?")) {
            st.setString(1, queryLike);
            try (var rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }
}
