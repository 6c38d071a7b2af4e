package dev.syncline.server.pipeline;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpId;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.CaptureSink;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.SourceTransaction;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.BucketStats;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.syncline.server.pipeline.TodoTables.list;
import static dev.syncline.server.pipeline.TodoTables.todo;
import static dev.syncline.server.pipeline.TodoTables.todoKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HandOffPipelineTest {
    @TempDir
    Path dir;
    final List<AutoCloseable> open = new ArrayList<>();
    final BlockingQueue<Lsn> acks = new LinkedBlockingQueue<>();
    long lsn = 1000;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private BucketStorage storage(String name) {
        BucketStorage s = SqliteBucketStorage.open(dir.resolve(name));
        open.add(s);
        return s;
    }

    private HandOffPipeline handOff(BucketStorage storage, RowEvaluator rules) {
        HandOffPipeline p = new HandOffPipeline(new ReplicationPipeline(storage, rules,
                new BatchPolicy(50, Duration.ofHours(1)), System::nanoTime));
        open.add(p);
        start(p, acks::add);
        return p;
    }

    private static void start(CaptureSink sink, CaptureSink.DurableAck ack) {
        sink.open(ack);
        sink.loadState();
        SnapshotProgress done = new SnapshotProgress("slot", new Lsn(10), List.of(
                new SnapshotProgress.TableProgress(TodoRules.LISTS, 1001, List.of(), 0, true)));
        sink.snapshotStarted(done);
        sink.snapshotChunk(TodoTables.LISTS, List.of(), done);
    }

    private static void tx(CaptureSink sink, long lsn, List<RowChange> changes) {
        sink.begin(new SourceTransaction.Begin(lsn, new Lsn(lsn), Instant.EPOCH));
        changes.forEach(sink::change);
        sink.commit(new SourceTransaction.Commit(lsn, new Lsn(lsn), new Lsn(lsn + 1), Instant.EPOCH));
    }

    /** Waits (without a timing assertion) until the sink acknowledges {@code lsn}. */
    private void awaitAck(long lsn) throws InterruptedException {
        while (true) {
            Lsn ack = acks.poll(60, TimeUnit.SECONDS);
            assertThat(ack).as("acknowledgement of %s", lsn).isNotNull();
            if (ack.compareTo(new Lsn(lsn)) >= 0) {
                return;
            }
        }
    }

    /** Every op of every bucket, with its id, type, row and checksum, and each bucket's checksum. */
    private static Map<String, List<String>> everything(BucketStorage storage) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        try (ReadView v = storage.reader().open()) {
            for (BucketStats b : v.bucketStats()) {
                List<String> ops = new ArrayList<>();
                for (BucketOp op : v.ops(b.bucket(), OpId.ZERO, new OpId(Long.MAX_VALUE), 1_000_000)) {
                    ops.add(op.toString());
                }
                ops.add("checksum " + v.checksum(b.bucket()));
                out.put(b.bucket(), ops);
            }
        }
        return out;
    }

    @Test
    void storesExactlyWhatThePipelineStoresOnOneThread() throws Exception {
        BucketStorage direct = storage("direct.db");
        ReplicationPipeline oneThread = new ReplicationPipeline(direct, new TodoRules(),
                new BatchPolicy(50, Duration.ofHours(1)), System::nanoTime);
        start(oneThread, lsn -> { });
        BucketStorage handedOff = storage("hand-off.db");
        HandOffPipeline pipeline = handOff(handedOff, new TodoRules());

        Random random = new Random(7);
        for (int t = 0; t < 400; t++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = random.nextInt(1, 8); i > 0; i--) {
                long id = random.nextInt(60);
                changes.add(switch (random.nextInt(6)) {
                    case 0, 1 -> new RowChange.Insert(todo(id, random.nextInt(5), "t" + random.nextInt(3), random.nextBoolean()));
                    case 2 -> new RowChange.Update(null, todo(id, random.nextInt(5), "u", random.nextBoolean()));
                    case 3 -> new RowChange.Delete(todoKey(id));
                    case 4 -> new RowChange.Update(todoKey(id), todo(100 + id, 1, "moved", false));
                    default -> new RowChange.Insert(list(random.nextInt(5), "user" + random.nextInt(3), "l"));
                });
            }
            if (random.nextInt(100) == 0) {
                changes.add(new RowChange.Truncate(List.of(TodoRules.TODOS)));
            }
            lsn += 10;
            tx(oneThread, lsn, changes);
            tx(pipeline, lsn, changes);
            if (random.nextInt(5) == 0) {
                oneThread.idle();
                pipeline.idle();
            }
        }
        oneThread.idle();
        pipeline.idle();
        awaitAck(lsn + 1);

        Map<String, List<String>> expected = everything(direct);
        assertThat(expected).isNotEmpty();
        assertThat(everything(handedOff)).as("same op ids, rows and checksums").isEqualTo(expected);
        assertThat(handedOff.writer().loadState().storedCommit()).isEqualTo(new CommitPosition(lsn));
    }

    @Test
    void opChecksumsAreTheProtocolsAlsoWhenARowCarriesTheSameDataIntoSeveralBuckets() throws Exception {
        BucketStorage storage = storage("syncline.db");
        HandOffPipeline pipeline = handOff(storage, new TodoRules());
        tx(pipeline, 2000, List.of(new RowChange.Insert(todo(1, 10, "a", false)),   // by_list and everything
                new RowChange.Insert(todo(2, 10, "b", true)),
                new RowChange.Insert(list(3, "alice", "l"))));
        tx(pipeline, 2010, List.of(new RowChange.Update(null, todo(1, 11, "a2", true)),   // leaves two buckets
                new RowChange.Delete(todoKey(2))));
        pipeline.idle();
        awaitAck(2011);

        int puts = 0;
        int removes = 0;
        try (ReadView v = storage.reader().open()) {
            for (BucketStats b : v.bucketStats()) {
                long sum = 0;
                for (BucketOp op : v.ops(b.bucket(), OpId.ZERO, new OpId(Long.MAX_VALUE), 1000)) {
                    switch (op) {
                        case BucketOp.Put p -> {
                            assertThat(p.checksum()).isEqualTo(OpChecksum.put(p.objectType(), p.objectId(), p.dataJson()));
                            puts++;
                        }
                        case BucketOp.Remove r -> {
                            assertThat(r.checksum()).isEqualTo(OpChecksum.remove(r.subkey()));
                            removes++;
                        }
                        default -> throw new AssertionError("unexpected " + op);
                    }
                    sum += op.checksum();
                }
                assertThat(v.checksum(b.bucket()).checksum()).isEqualTo(OpChecksum.wrap(sum));
            }
        }
        assertThat(puts).isEqualTo(2 + 1 + 1 + 1);     // todo 1 in two buckets, todo 2, list 3, todo 1 in list 11
        assertThat(removes).isEqualTo(2 + 1);          // todo 1 leaves by_list[10] and everything[], todo 2 is deleted
    }

    @Test
    void aRowCarryingDifferentDataIntoItsBucketsGetsEachPutsOwnChecksum() throws Exception {
        BucketStorage storage = storage("syncline.db");
        // Same client row, different selected columns per bucket (e.g. two data queries).
        RowEvaluator twoShapes = new RowEvaluator() {
            @Override
            public List<BucketRow> dataRows(TableName table, Map<String, SqlValue> row) {
                String id = TodoRules.text(row.get("id"));
                return List.of(new BucketRow("a[]", "todos", id, "{\"id\":\"" + id + "\"}"),
                        new BucketRow("b[]", "todos", id, "{\"id\":\"" + id + "\",\"x\":1}"),
                        new BucketRow("c[]", "todos", id, "{\"id\":\"" + id + "\",\"x\":1}"));
            }

            @Override
            public List<ParameterEntry> parameterRows(TableName table, Map<String, SqlValue> row) {
                return List.of();
            }
        };
        HandOffPipeline pipeline = handOff(storage, twoShapes);
        tx(pipeline, 2000, List.of(new RowChange.Insert(todo(1, 10, "a", false))));
        pipeline.idle();
        awaitAck(2001);
        try (ReadView v = storage.reader().open()) {
            for (String bucket : List.of("a[]", "b[]", "c[]")) {
                BucketOp.Put put = (BucketOp.Put) v.ops(bucket, OpId.ZERO, new OpId(Long.MAX_VALUE), 10).getFirst();
                assertThat(put.checksum()).as(bucket)
                        .isEqualTo(OpChecksum.put(put.objectType(), put.objectId(), put.dataJson()));
            }
        }
    }

    @Test
    void aStorageFailureOnTheWriterStopsCaptureDropsTheBatchAndARestartReplaysIt() throws Exception {
        BucketStorage storage = storage("syncline.db");
        // A rule that yields a row without a bucket name: storage refuses it on the writer thread.
        RowEvaluator broken = new RowEvaluator() {
            final TodoRules rules = new TodoRules();

            @Override
            public List<BucketRow> dataRows(TableName table, Map<String, SqlValue> row) {
                if (row.get("title") instanceof SqlValue.Text t && t.value().equals("poison")) {
                    return List.of(new BucketRow(null, "todos", "666", "{}"));
                }
                if (row.get("title") instanceof SqlValue.Text t && t.value().equals("boom")) {
                    throw new IllegalStateException("rules failed");
                }
                return rules.dataRows(table, row);
            }

            @Override
            public List<ParameterEntry> parameterRows(TableName table, Map<String, SqlValue> row) {
                return rules.parameterRows(table, row);
            }
        };
        HandOffPipeline pipeline = handOff(storage, broken);
        tx(pipeline, 2000, List.of(new RowChange.Insert(todo(1, 10, "a", false))));
        pipeline.idle();
        awaitAck(2001);

        try {
            tx(pipeline, 2010, List.of(new RowChange.Insert(todo(2, 10, "b", false)),
                    new RowChange.Insert(todo(666, 10, "poison", false))));
        } catch (StorageException writerAlreadyFailed) {
            // The writer runs concurrently: it may meet the bad row before the commit is handed off,
            // and then the commit call itself reports the failure. Either way the batch must be gone.
        }
        // lastImage waits for the writer, so by then it has met the bad row.
        assertThatThrownBy(() -> pipeline.lastImage(TodoRules.TODOS, List.of(SqlValue.of(1L))))
                .isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> pipeline.begin(new SourceTransaction.Begin(3000, new Lsn(3000), Instant.EPOCH)))
                .as("every later call fails until capture restarts").isInstanceOf(StorageException.class);
        assertThat(acks).isEmpty();
        assertThat(storage.writer().loadState().storedCommit()).isEqualTo(new CommitPosition(2000));

        // Capture restarts: state reloads, and the transaction (here without the bad row) replays.
        assertThat(pipeline.loadState().storedCommitLsn()).isEqualTo(new Lsn(2000));
        tx(pipeline, 2010, List.of(new RowChange.Insert(todo(2, 10, "b", false))));
        pipeline.idle();
        awaitAck(2011);
        assertThat(BucketOracle.stored(storage).get("by_list[\"10\"]")).hasSize(2);

        // The rules failing on the capture thread end the same way: the open batch is dropped.
        pipeline.begin(new SourceTransaction.Begin(2020, new Lsn(2020), Instant.EPOCH));
        pipeline.change(new RowChange.Insert(todo(3, 10, "c", false)));
        assertThatThrownBy(() -> pipeline.change(new RowChange.Insert(todo(4, 10, "boom", false))))
                .hasMessage("rules failed");
        assertThat(pipeline.loadState().storedCommitLsn()).isEqualTo(new Lsn(2010));
        pipeline.idle();
        tx(pipeline, 2030, List.of(new RowChange.Insert(todo(5, 10, "e", false))));
        pipeline.idle();
        awaitAck(2031);
        assertThat(BucketOracle.stored(storage).get("by_list[\"10\"]")).as("todo 3 was never committed").hasSize(3);
    }

    @Test
    void toastLookupsSeeEveryChangeHandedOffBeforeThem() {
        BucketStorage storage = storage("syncline.db");
        HandOffPipeline pipeline = handOff(storage, new TodoRules());
        String big = "x".repeat(5000);
        pipeline.begin(new SourceTransaction.Begin(1, new Lsn(5000), Instant.EPOCH));
        for (int i = 0; i < 500; i++) {
            pipeline.change(new RowChange.Insert(list(i, "alice", big + i)));
        }
        Row last = pipeline.lastImage(TodoRules.LISTS, List.of(SqlValue.of(499L))).orElseThrow();
        assertThat(last.get("name")).isEqualTo(SqlValue.of(big + 499));
    }

    @Test
    void captureWaitsWhileTheQueuedBytesFillTheBudgetAndAChangeLargerThanTheBudgetStillPasses() throws Exception {
        BucketStorage storage = storage("syncline.db");
        HandOffPipeline pipeline = new HandOffPipeline(new ReplicationPipeline(storage, new TodoRules(),
                new BatchPolicy(50, Duration.ofHours(1)), System::nanoTime), 100_000);
        open.add(pipeline);
        CountDownLatch writerHeld = new CountDownLatch(1);
        CountDownLatch releaseWriter = new CountDownLatch(1);
        start(pipeline, ack -> {
            // The writer acknowledges on its own thread: holding it here is a writer stuck in storage.
            if (ack.equals(new Lsn(2001)) && writerHeld.getCount() > 0) {
                writerHeld.countDown();
                try {
                    releaseWriter.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            acks.add(ack);
        });
        tx(pipeline, 2000, List.of(new RowChange.Insert(list(100, "alice", "small"))));
        pipeline.idle();
        assertThat(writerHeld.await(60, TimeUnit.SECONDS)).isTrue();

        // Rows of ~40 kB against a 100 kB budget: two fit, the third waits for the writer.
        String big = "x".repeat(40_000);
        AtomicInteger handedOff = new AtomicInteger();
        Thread capture = Thread.ofPlatform().start(() -> {
            pipeline.begin(new SourceTransaction.Begin(2010, new Lsn(2010), Instant.EPOCH));
            for (int i = 0; i < 5; i++) {
                pipeline.change(new RowChange.Insert(list(i, "alice", big + i)));
                handedOff.incrementAndGet();
            }
            pipeline.commit(new SourceTransaction.Commit(2010, new Lsn(2010), new Lsn(2011), Instant.EPOCH));
        });
        while (capture.getState() != Thread.State.WAITING && capture.getState() != Thread.State.TERMINATED
                || handedOff.get() < 2) {
            Thread.sleep(1);
        }
        assertThat(handedOff.get()).as("changes handed off while the writer is stuck").isEqualTo(2);
        assertThat(capture.getState()).isEqualTo(Thread.State.WAITING);
        assertThat(pipeline.queuedBytes()).isGreaterThan(80_000).isLessThanOrEqualTo(100_000);

        releaseWriter.countDown();
        capture.join();
        assertThat(handedOff.get()).isEqualTo(5);
        pipeline.idle();
        awaitAck(2011);
        for (int i = 0; i < 5; i++) {
            assertThat(pipeline.lastImage(TodoRules.LISTS, List.of(SqlValue.of((long) i))).orElseThrow().get("name"))
                    .isEqualTo(SqlValue.of(big + i));
        }

        // One change larger than the whole budget passes alone.
        String huge = "y".repeat(300_000);
        tx(pipeline, 2020, List.of(new RowChange.Insert(list(9, "alice", huge))));
        pipeline.idle();
        awaitAck(2021);
        assertThat(pipeline.lastImage(TodoRules.LISTS, List.of(SqlValue.of(9L))).orElseThrow().get("name"))
                .isEqualTo(SqlValue.of(huge));
        assertThat(pipeline.queuedBytes()).isZero();
    }
}
