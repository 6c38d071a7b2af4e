package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpId;
import dev.syncline.server.storage.BucketChecksum;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.ReducedBucket;
import dev.syncline.server.storage.StorageFencedException;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.storage.WriterFence;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Compaction with several nodes on one PostgreSQL storage: only the replicator lease holder
 * compacts (the fence is checked in every compaction transaction), and compaction from several
 * handles at once, beside the writer, leaves every bucket's checksum, count and rows intact.
 */
class PostgresCompactionFencingIT {
    private static final OpId ALL = new OpId(Long.MAX_VALUE);
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

    /** Two rows of one bucket, each put three times: compaction has superseded PUTs to turn into MOVEs. */
    private static void writeSupersededPuts(PostgresBucketStorage storage, long position) {
        try (WriteTransaction tx = storage.writer().begin()) {
            for (int round = 0; round < 3; round++) {
                for (String id : List.of("1", "2")) {
                    tx.put(new Placement("b[]", "t", id), "", "{\"v\":" + round + "}");
                }
            }
            tx.commit(new CommitPosition(position), true);
        }
    }

    private static List<BucketOp> ops(PostgresBucketStorage storage, String bucket) {
        try (var view = storage.reader().open()) {
            return view.ops(bucket, OpId.ZERO, ALL, 100_000);
        }
    }

    /**
     * Regression: compaction ran on every node, the lease holder or not, and on a node that had
     * lost the lease (its compactor checked no epoch; only the writer did).
     */
    @Test
    void onlyTheLeaseHolderCompactsAndANodeThatLostTheLeaseIsRefused() throws Exception {
        String schema = "compaction_fence";
        try (ReplicatorLease a = new ReplicatorLease(db.jdbcUrl(), login(), schema, "a");
             ReplicatorLease b = new ReplicatorLease(db.jdbcUrl(), login(), schema, "b")) {
            assertThat(a.tryAcquire()).isTrue();
            try (PostgresBucketStorage onA = PostgresBucketStorage.open(db.jdbcUrl(), login(), schema, a);
                 PostgresBucketStorage onB = PostgresBucketStorage.open(db.jdbcUrl(), login(), schema, b)) {
                writeSupersededPuts(onA, 10);
                List<BucketOp> written = ops(onA, "b[]");

                assertThatThrownBy(() -> onB.compactor().compactAll()).isInstanceOf(StorageFencedException.class)
                        .hasMessageContaining("SYNC_D1301");
                assertThatThrownBy(() -> onB.compactor().compact("b[]")).isInstanceOf(StorageFencedException.class);
                assertThat(ops(onA, "b[]")).as("the refused compaction changed nothing").isEqualTo(written);

                // b takes over (a's lease session ended); a has not noticed and still believes it holds the lease.
                a.release();
                assertThat(b.tryAcquire()).isTrue();
                assertThatThrownBy(() -> onA.compactor().compactAll()).isInstanceOf(StorageFencedException.class);
                assertThat(ops(onA, "b[]")).isEqualTo(written);

                var result = onB.compactor().compactAll();
                assertThat(result.movedOps()).isEqualTo(4);
                List<BucketOp> compacted = ops(onB, "b[]");
                assertThat(ReducedBucket.of(compacted).rows).isEqualTo(ReducedBucket.of(written).rows);
                assertThat(ReducedBucket.of(compacted).checksum).isEqualTo(ReducedBucket.of(written).checksum);
            }
        }
    }

    /**
     * Two storage handles on one schema compact over and over, concurrently, while a third writes:
     * afterwards each bucket's stored checksum and count match its ops, and its rows are what the
     * uncompacted log gives.
     */
    @Test
    void concurrentCompactionFromTwoHandlesKeepsChecksumsCountsAndRows() throws Exception {
        String schema = "compaction_concurrent";
        try (PostgresBucketStorage writer = PostgresBucketStorage.open(db.jdbcUrl(), login(), schema, WriterFence.NONE);
             PostgresBucketStorage one = PostgresBucketStorage.open(db.jdbcUrl(), login(), schema, WriterFence.NONE);
             PostgresBucketStorage two = PostgresBucketStorage.open(db.jdbcUrl(), login(), schema, WriterFence.NONE)) {
            Map<String, Map<ReducedBucket.RowKey, String>> expected = new java.util.HashMap<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Long>> compactors = new ArrayList<>();
                for (PostgresBucketStorage s : List.of(one, two)) {
                    compactors.add(pool.submit(() -> {
                        long runs = 0;
                        while (writing.get()) {
                            s.compactor().compactAll();
                            runs++;
                        }
                        return runs;
                    }));
                }
                java.util.Random random = new java.util.Random(7);
                for (int batch = 1; batch <= 60; batch++) {
                    try (WriteTransaction tx = writer.writer().begin()) {
                        for (int i = 0; i < 20; i++) {
                            String bucket = "b" + random.nextInt(3) + "[]";
                            Placement p = new Placement(bucket, "t", Integer.toString(random.nextInt(8)));
                            var rows = expected.computeIfAbsent(bucket, k -> new java.util.HashMap<>());
                            var key = new ReducedBucket.RowKey("t", p.objectId(), "");
                            if (random.nextInt(4) == 0) {
                                tx.remove(p, "");
                                rows.remove(key);
                            } else {
                                String data = "{\"batch\":" + batch + ",\"i\":" + i + "}";
                                tx.put(p, "", data);
                                rows.put(key, data);
                            }
                        }
                        tx.commit(new CommitPosition(batch), true);
                    }
                }
                writing.set(false);
                for (Future<Long> f : compactors) {
                    assertThat(f.get()).isPositive();
                }
            } finally {
                pool.shutdownNow();
            }
            one.compactor().compactAll();
            for (String bucket : List.of("b0[]", "b1[]", "b2[]")) {
                List<BucketOp> ops = ops(writer, bucket);
                ReducedBucket reduced = ReducedBucket.of(ops);
                BucketChecksum stored;
                try (var view = writer.reader().open()) {
                    stored = view.checksum(bucket);
                }
                assertThat(stored.checksum()).as(bucket + " checksum").isEqualTo(reduced.checksum);
                assertThat(stored.count()).as(bucket + " op count").isEqualTo(ops.size());
                assertThat(ops.stream().filter(o -> o instanceof BucketOp.Move).count()).as(bucket + " compacted")
                        .isPositive();
                assertThat(reduced.rows).as(bucket + " rows").isEqualTo(expected.get(bucket));
            }
        }
    }
}
