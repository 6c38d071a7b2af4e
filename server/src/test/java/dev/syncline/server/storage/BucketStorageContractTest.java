package dev.syncline.server.storage;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.pipeline.BatchPolicy;
import dev.syncline.server.pipeline.ReplicationPipeline;
import dev.syncline.server.pipeline.SourceIds;
import dev.syncline.server.pipeline.TodoRules;
import dev.syncline.server.pipeline.TodoTables;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.SourceTransaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract every bucket storage backend must pass (DESIGN.md invariants). A backend test
 * extends this and says how to open its storage in a directory; opening the same directory again
 * must find what was committed there.
 */
public abstract class BucketStorageContractTest {
    private static final OpId ALL = new OpId(Long.MAX_VALUE);

    @TempDir
    protected Path dir;
    private final List<BucketStorage> opened = new ArrayList<>();

    /** Opens the backend's storage kept in {@code dir}. */
    protected abstract BucketStorage openStorage(Path dir);

    protected BucketStorage open() {
        BucketStorage s = openStorage(dir);
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(BucketStorage::close);
    }

    private static List<BucketOp> ops(BucketStorage s, String bucket) {
        try (ReadView v = s.reader().open()) {
            return v.ops(bucket, OpId.ZERO, ALL, Integer.MAX_VALUE);
        }
    }

    @Test
    void opIdsStrictlyIncreaseAcrossRestarts() {
        BucketStorage s = open();
        List<OpId> ids = new ArrayList<>();
        try (WriteTransaction tx = s.writer().begin()) {
            ids.add(tx.put(new Placement("a[]", "t", "1"), "k1", "{}"));
            ids.add(tx.put(new Placement("b[]", "t", "2"), "k2", "{}"));
            tx.commit(new CommitPosition(100), true);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "3"), "k3", "{}");   // rolled back: nobody saw it
        }
        s.close();
        BucketStorage reopened = open();
        assertThat(reopened.checkpoints().latest()).hasValue(new Checkpoint(ids.getLast(), new CommitPosition(100)));
        assertThat(reopened.writer().loadState().storedCommit()).isEqualTo(new CommitPosition(100));
        try (WriteTransaction tx = reopened.writer().begin()) {
            ids.add(tx.remove(new Placement("a[]", "t", "1"), "k1"));
            ids.add(tx.put(new Placement("c[]", "t", "4"), "k4", "{}"));
            tx.commit(new CommitPosition(200), true);
        }
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(ids.getFirst()).isGreaterThan(OpId.ZERO);
        assertThat(ops(reopened, "a[]")).extracting(BucketOp::opId).containsExactly(ids.get(0), ids.get(2));
    }

    /** A new storage generation starts its op ids above the serving one's (app.Generations). */
    @Test
    void reservedOpIdsAreNeverHandedOutAndSurviveARestart() {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.reserveOpIdsThrough(new OpId(1L << 32));
            tx.commit(null, false);
        }
        s.close();
        BucketStorage reopened = open();
        OpId first;
        try (WriteTransaction tx = reopened.writer().begin()) {
            tx.reserveOpIdsThrough(new OpId(5));   // lower: changes nothing
            first = tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
            tx.commit(new CommitPosition(10), true);
        }
        assertThat(first).isEqualTo(new OpId((1L << 32) + 1));
        assertThat(reopened.checkpoints().latest()).hasValue(new Checkpoint(first, new CommitPosition(10)));
    }

    /**
     * The sync producer reads a bucket chunk after chunk through one view, each read starting after
     * the last op of the one before (SQLite storage continues inside the segment it stopped in):
     * whatever the chunk size, and with reads of other buckets and ranges in between, the chunks
     * join up to exactly the ops of one read.
     */
    @Test
    void readingABucketChunkByChunkInOneViewGivesTheOpsOfOneRead() {
        BucketStorage s = open();
        Random random = new Random(11);
        String wide = "x".repeat(3000); // a few hundred KB per bucket: several SQLite segments
        for (int t = 0; t < 6; t++) {
            try (WriteTransaction tx = s.writer().begin()) {
                for (int i = 0; i < 150; i++) {
                    String bucket = "c[" + random.nextInt(2) + "]";
                    String id = Integer.toString(random.nextInt(400));
                    if (random.nextInt(5) > 0) {
                        tx.put(new Placement(bucket, "t", id), "k" + id, "{\"v\":\"" + wide + i + "\"}");
                    } else {
                        tx.remove(new Placement(bucket, "t", id), "k" + id);
                    }
                }
                tx.commit(new CommitPosition(t + 1), true);
            }
        }
        OpId upTo = s.checkpoints().latest().orElseThrow().lastOpId();
        for (int chunk : new int[] {1, 7, 100, 1000}) {
            try (ReadView v = s.reader().open()) {
                for (String bucket : List.of("c[0]", "c[1]")) {
                    List<BucketOp> all = v.ops(bucket, OpId.ZERO, upTo, Integer.MAX_VALUE);
                    List<BucketOp> joined = new ArrayList<>();
                    OpId after = OpId.ZERO;
                    for (int read = 1; ; read++) {
                        List<BucketOp> part = v.ops(bucket, after, upTo, chunk);
                        joined.addAll(part);
                        if (part.size() < chunk) {
                            break;
                        }
                        after = part.getLast().opId();
                        if (read % 3 == 0) {
                            v.ops("c[0]".equals(bucket) ? "c[1]" : "c[0]", OpId.ZERO, upTo, 3); // another bucket in between
                        } else if (read % 3 == 1) {
                            v.ops(bucket, OpId.ZERO, after, 2); // another range of the same one
                        }
                    }
                    assertThat(joined).as("chunks of %d of %s", chunk, bucket).isEqualTo(all);
                    assertThat(all).hasSizeGreaterThan(300);
                }
            }
        }
    }

    @Test
    void bucketChecksumIsTheWrappingSumOfItsOpsAndCountTheirNumber() {
        BucketStorage s = open();
        Random random = new Random(7);
        for (int t = 0; t < 20; t++) {
            try (WriteTransaction tx = s.writer().begin()) {
                for (int i = 0; i < 50; i++) {
                    String bucket = "b[" + random.nextInt(4) + "]";
                    String id = Integer.toString(random.nextInt(30));
                    if (random.nextBoolean()) {
                        tx.put(new Placement(bucket, "t", id), "k" + id, "{\"v\":" + random.nextInt() + "}");
                    } else {
                        tx.remove(new Placement(bucket, "t", id), "k" + id);
                    }
                }
                tx.commit(new CommitPosition(t + 1), true);
            }
        }
        try (ReadView v = s.reader().open()) {
            for (int b = 0; b < 4; b++) {
                String bucket = "b[" + b + "]";
                List<BucketOp> ops = v.ops(bucket, OpId.ZERO, ALL, Integer.MAX_VALUE);
                long sum = 0;
                for (BucketOp op : ops) {
                    sum += op.checksum();
                    long expected = op instanceof BucketOp.Put p ? OpChecksum.put(p.objectType(), p.objectId(), p.dataJson())
                            : OpChecksum.remove(((BucketOp.Remove) op).subkey());
                    assertThat(op.checksum()).isEqualTo(expected);
                }
                assertThat(v.checksum(bucket)).isEqualTo(new BucketChecksum(bucket, OpChecksum.wrap(sum), ops.size()));
            }
            assertThat(v.checksum("unknown[]")).isEqualTo(BucketChecksum.empty("unknown[]"));
        }
    }

    @Test
    void rangeSumsAndStatesAtACheckpointMatchTheOpsTheyCover() {
        BucketStorage s = open();
        List<OpId> checkpoints = new ArrayList<>();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{\"v\":1}");
            tx.put(new Placement("a[]", "t", "2"), "k2", "{\"v\":2}");
            checkpoints.add(tx.put(new Placement("b[]", "t", "3"), "k3", "{}"));
            tx.commit(new CommitPosition(1), true);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.remove(new Placement("a[]", "t", "1"), "k1");
            checkpoints.add(tx.put(new Placement("a[]", "t", "2"), "k2", "{\"v\":3}"));
            tx.commit(new CommitPosition(2), true);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "4"), "k4", "{}"); // committed but not a checkpoint: must not count at one
            tx.commit(new CommitPosition(3), false);
        }
        try (ReadView v = s.reader().open()) {
            List<BucketOp> all = v.ops("a[]", OpId.ZERO, ALL, Integer.MAX_VALUE);
            for (OpId at : checkpoints) {
                List<BucketOp> upTo = all.stream().filter(op -> op.opId().compareTo(at) <= 0).toList();
                assertThat(v.stateAt("a[]", at)).isEqualTo(new OpRange(sum(upTo), upTo.size(),
                        upTo.getLast().opId().value(), false));
            }
            List<BucketOp> between = all.stream().filter(op -> op.opId().compareTo(checkpoints.get(0)) > 0
                    && op.opId().compareTo(checkpoints.get(1)) <= 0).toList();
            assertThat(v.opRange("a[]", checkpoints.get(0), checkpoints.get(1)))
                    .isEqualTo(new OpRange(sum(between), 2, checkpoints.get(1).value(), false));
            assertThat(v.opRange("a[]", checkpoints.get(1), checkpoints.get(1))).isEqualTo(OpRange.EMPTY);
            assertThat(v.stateAt("missing[]", checkpoints.get(1))).isEqualTo(OpRange.EMPTY);
            assertThat(v.opRange("missing[]", OpId.ZERO, ALL)).isEqualTo(OpRange.EMPTY);
        }
        // Compaction folds the REMOVE-only prefix into a CLEAR; the state keeps its checksum and a
        // range that holds the CLEAR says so.
        try (WriteTransaction tx = s.writer().begin()) {
            tx.remove(new Placement("a[]", "t", "2"), "k2");
            tx.remove(new Placement("a[]", "t", "4"), "k4");
            checkpoints.add(tx.remove(new Placement("b[]", "t", "3"), "k3"));
            tx.commit(new CommitPosition(4), true);
        }
        long before;
        try (ReadView v = s.reader().open()) {
            before = v.stateAt("a[]", checkpoints.get(2)).checksum();
        }
        s.compactor().compactAll();
        try (ReadView v = s.reader().open()) {
            assertThat(v.stateAt("a[]", checkpoints.get(2)).checksum()).isEqualTo(before);
            assertThat(v.opRange("a[]", checkpoints.get(0), checkpoints.get(2)).hasClear()).isTrue();
        }
    }

    private static long sum(List<BucketOp> ops) {
        long sum = 0;
        for (BucketOp op : ops) {
            sum = OpChecksum.add(sum, op.checksum());
        }
        return sum;
    }

    @Test
    void compactionPreservesChecksumsAndWhatEveryClientEndsUpWith() {
        BucketStorage s = open();
        Random random = new Random(42);
        Map<String, List<BucketOp>> original = new HashMap<>();
        long lsn = 0;
        for (int round = 0; round < 8; round++) {
            for (int t = 0; t < 10; t++) {
                try (WriteTransaction tx = s.writer().begin()) {
                    for (int i = 0; i < random.nextInt(1, 20); i++) {
                        String bucket = "b[" + random.nextInt(3) + "]";
                        String id = Integer.toString(random.nextInt(8));
                        String subkey = "sk" + random.nextInt(2);
                        if (random.nextInt(3) > 0) {
                            String data = "{\"v\":" + random.nextInt(5) + "}";
                            OpId op = tx.put(new Placement(bucket, "t", id), subkey, data);
                            original.computeIfAbsent(bucket, b -> new ArrayList<>()).add(
                                    new BucketOp.Put(op, "t", id, subkey, data, OpChecksum.put("t", id, data)));
                        } else {
                            OpId op = tx.remove(new Placement(bucket, "t", id), subkey);
                            original.computeIfAbsent(bucket, b -> new ArrayList<>()).add(
                                    new BucketOp.Remove(op, "t", id, subkey, OpChecksum.remove(subkey)));
                        }
                    }
                    tx.commit(new CommitPosition(++lsn), true);
                }
            }
            if (random.nextBoolean()) {
                s.compactor().compactAll();
            } else {
                s.compactor().compact("b[" + random.nextInt(3) + "]");
            }
            for (Map.Entry<String, List<BucketOp>> e : original.entrySet()) {
                assertClientsConverge(s, e.getKey(), e.getValue());
            }
        }
        s.compactor().compactAll();
        BucketCompactor.CompactionResult again = s.compactor().compactAll();
        assertThat(again.movedOps() + again.clearedOps()).as("a second pass finds nothing more").isZero();
        original.forEach((bucket, log) -> assertClientsConverge(s, bucket, log));
    }

    @Test
    void compactionRunsConcurrentlyWithTheWriter() throws Exception {
        BucketStorage s = open();
        Random random = new Random(5);
        Map<String, List<BucketOp>> original = new HashMap<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Thread compactor = Thread.ofPlatform().start(() -> {
            try {
                while (writing.get()) {
                    s.compactor().compactAll();
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        for (int t = 0; t < 150; t++) {
            try (WriteTransaction tx = s.writer().begin()) {
                for (int i = 0; i < 10; i++) {
                    String bucket = "c[" + random.nextInt(2) + "]";
                    String id = Integer.toString(random.nextInt(5));
                    String data = "{\"t\":" + t + "}";
                    OpId op = tx.put(new Placement(bucket, "t", id), "k", data);
                    original.computeIfAbsent(bucket, b -> new ArrayList<>())
                            .add(new BucketOp.Put(op, "t", id, "k", data, OpChecksum.put("t", id, data)));
                }
                tx.commit(new CommitPosition(t + 1), true);
            }
        }
        writing.set(false);
        compactor.join();
        assertThat(failures).isEmpty();
        s.compactor().compactAll();
        for (Map.Entry<String, List<BucketOp>> e : original.entrySet()) {
            assertClientsConverge(s, e.getKey(), e.getValue());
        }
    }

    @Test
    void backgroundCompactionShrinksLogsOnItsOwn() throws Exception {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            for (int i = 0; i < 10; i++) {
                tx.put(new Placement("bg[]", "t", "1"), "k", "{\"v\":" + i + "}");
            }
            tx.commit(new CommitPosition(1), true);
        }
        long before;
        try (ReadView v = s.reader().open()) {
            before = v.checksum("bg[]").checksum();
        }
        try (BackgroundCompaction ignored = new BackgroundCompaction(s, "test", java.time.Duration.ofMillis(20))) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            // Nine superseded PUTs become MOVEs, and that prefix then folds into one CLEAR.
            while (ops(s, "bg[]").size() > 2) {
                assertThat(System.nanoTime()).as("compacted within 30 s").isLessThan(deadline);
                Thread.sleep(20);
            }
        }
        assertThat(ops(s, "bg[]")).extracting(BucketOp::type).containsExactly(OpType.CLEAR, OpType.PUT);
        try (ReadView v = s.reader().open()) {
            assertThat(v.checksum("bg[]").checksum()).isEqualTo(before);
        }
    }

    /** reduce(compact(log)) = reduce(log), from scratch and for a client resuming at any op id. */
    private static void assertClientsConverge(BucketStorage s, String bucket, List<BucketOp> original) {
        ReducedBucket expected = ReducedBucket.of(original);
        List<BucketOp> compacted = ops(s, bucket);
        assertThat(ReducedBucket.of(compacted).rows).as(bucket + " rows").isEqualTo(expected.rows);
        assertThat(ReducedBucket.of(compacted).checksum).as(bucket + " checksum").isEqualTo(expected.checksum);
        try (ReadView v = s.reader().open()) {
            assertThat(v.checksum(bucket).checksum()).isEqualTo(expected.checksum);
            assertThat(v.checksum(bucket).count()).isEqualTo(compacted.size());
        }
        List<OpId> cuts = new ArrayList<>(original.stream().map(BucketOp::opId).toList());
        cuts.add(OpId.ZERO);
        for (OpId after : cuts) {
            ReducedBucket client = ReducedBucket.of(original.stream().filter(o -> !o.opId().isAfter(after)).toList());
            compacted.stream().filter(o -> o.opId().isAfter(after)).forEach(client::apply);
            assertThat(client.rows).as(bucket + " client resuming after " + after).isEqualTo(expected.rows);
            assertThat(client.checksum).as(bucket + " checksum resuming after " + after).isEqualTo(expected.checksum);
        }
    }

    @Test
    void uncommittedWritesVanishOnCrashAndCommittedOnesStay() {
        BucketStorage s = open();
        SourceRowId row = new SourceRowId(SourceIds.table(TodoRules.TODOS), List.of(SqlValue.of(1L)));
        StoredSourceRow stored = new StoredSourceRow(null, List.of(new Placement("a[]", "todos", "1")),
                List.of(new ParameterEntry("[\"k\"]", "[1]")));
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "todos", "1"), row.subkey(), "{}");
            tx.saveSourceRow(row, null, stored);
            assertThat(tx.sourceRow(row)).as("own pending write").hasValue(stored);
            tx.commit(new CommitPosition(10), true);
        }
        WriteTransaction pending = s.writer().begin();
        pending.put(new Placement("a[]", "todos", "2"), "x", "{}");
        pending.deleteSourceRow(row, stored);
        pending.snapshotProgress("progress-5");
        s.close();    // "crash": never committed

        BucketStorage reopened = open();
        assertThat(ops(reopened, "a[]")).hasSize(1);
        assertThat(reopened.writer().loadState().snapshotProgress()).isNull();
        try (WriteTransaction tx = reopened.writer().begin()) {
            assertThat(tx.sourceRow(row)).hasValue(stored);
        }
        try (ReadView v = reopened.reader().open()) {
            assertThat(v.parameterValues("[\"k\"]")).containsExactly("[1]");
            assertThat(v.bucketStats()).containsExactly(new BucketStats("a[]", 1, 1));
        }
    }

    @Test
    void crashBetweenStorageCommitAndLsnAcknowledgementReplaysWithoutDuplicates() {
        BucketStorage s = open();
        AtomicReference<Lsn> acked = new AtomicReference<>();
        ReplicationPipeline pipeline = new ReplicationPipeline(s, new TodoRules(), BatchPolicy.DEFAULT, System::nanoTime);
        pipeline.open(lsn -> {
            acked.set(lsn);
            throw new IllegalStateException("crash before the acknowledgement reaches PostgreSQL");
        });
        pipeline.loadState();
        sendTransaction(pipeline, 100);
        assertThatThrownBy(pipeline::idle).hasMessageContaining("crash");
        assertThat(acked.get()).isEqualTo(new Lsn(101));
        List<BucketOp> before = ops(s, "by_list[\"1\"]");
        s.close();

        BucketStorage reopened = open();
        ReplicationPipeline restarted = new ReplicationPipeline(reopened, new TodoRules(), BatchPolicy.DEFAULT,
                System::nanoTime);
        restarted.open(acked::set);
        assertThat(restarted.loadState().storedCommitLsn()).isEqualTo(new Lsn(100));
        sendTransaction(restarted, 100);   // PostgreSQL resends from the last confirmed position
        restarted.idle();
        assertThat(ops(reopened, "by_list[\"1\"]")).isEqualTo(before).hasSize(2);
    }

    private static void sendTransaction(ReplicationPipeline p, long commitLsn) {
        p.begin(new SourceTransaction.Begin(7, new Lsn(commitLsn), Instant.EPOCH));
        p.change(new RowChange.Insert(TodoTables.todo(1, 1, "a", false)));
        p.change(new RowChange.Insert(TodoTables.todo(2, 1, "b", true)));
        p.commit(new SourceTransaction.Commit(7, new Lsn(commitLsn), new Lsn(commitLsn + 1), Instant.EPOCH));
    }

    @Test
    void eachSourceTransactionsOpsAreTracedToItsXidAcrossABatchAndARestart() {
        BucketStorage s = open();
        List<OpId> first = new ArrayList<>();
        List<OpId> second = new ArrayList<>();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "0"), "k0", "{}");   // a snapshot row: no source transaction
            tx.commit(null, true);
        }
        try (WriteTransaction tx = s.writer().begin()) {      // one batch of three source transactions
            first.add(tx.put(new Placement("a[]", "t", "1"), "k1", "{}"));
            first.add(tx.put(new Placement("b[]", "t", "1"), "k1", "{}"));
            tx.sourceTransaction(4_000_000_000L);             // an xid past 2^31: unsigned 32-bit
            tx.sourceTransaction(801);                        // a transaction that wrote no op
            second.add(tx.remove(new Placement("a[]", "t", "1"), "k1"));
            tx.sourceTransaction(802);
            tx.commit(new CommitPosition(100), true);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "9"), "k9", "{}");
            tx.sourceTransaction(900);                        // rolled back: never recorded
        }
        s.close();
        BucketStorage reopened = open();
        try (ReadView v = reopened.reader().open()) {
            assertThat(v.sourceXids(OpId.ZERO, ALL)).containsExactly(
                    new SourceXid(first.getFirst().value(), first.getLast().value(), 4_000_000_000L),
                    new SourceXid(second.getFirst().value(), second.getLast().value(), 802));
            assertThat(v.sourceXids(first.getFirst(), ALL)).as("ranges that reach past `after`")
                    .extracting(SourceXid::xid).containsExactly(4_000_000_000L, 802L);
            assertThat(v.sourceXids(first.getLast(), ALL)).extracting(SourceXid::xid).containsExactly(802L);
            assertThat(v.sourceXids(OpId.ZERO, first.getFirst())).extracting(SourceXid::xid).containsExactly(4_000_000_000L);
            assertThat(v.sourceXids(second.getLast(), ALL)).isEmpty();
        }
    }

    @Test
    void onlyTheNewestSourceXidsAreKept() {
        BucketStorage s = open();
        int total = WriteTransaction.RETAINED_SOURCE_XIDS + 1_100;
        try (WriteTransaction tx = s.writer().begin()) {
            for (int i = 1; i <= total; i++) {
                tx.put(new Placement("a[]", "t", "r" + (i % 100)), "k", "{}");
                tx.sourceTransaction(i);
            }
            tx.commit(new CommitPosition(1), true);
        }
        try (ReadView v = s.reader().open()) {
            List<SourceXid> kept = v.sourceXids(OpId.ZERO, ALL);
            assertThat(kept.size()).isBetween(WriteTransaction.RETAINED_SOURCE_XIDS, total - 1);
            assertThat(kept.getLast().xid()).as("the newest stays").isEqualTo(total);
        }
    }

    @Test
    void thePipelineRecordsTheXidOfEachCommittedSourceTransaction() {
        BucketStorage s = open();
        ReplicationPipeline pipeline = new ReplicationPipeline(s, new TodoRules(), BatchPolicy.DEFAULT, System::nanoTime);
        pipeline.open(lsn -> { });
        pipeline.loadState();
        sendTransaction(pipeline, 100);
        pipeline.idle();
        List<BucketOp> ops = ops(s, "by_list[\"1\"]");
        try (ReadView v = s.reader().open()) {
            assertThat(v.sourceXids(OpId.ZERO, ALL)).singleElement().satisfies(x -> {
                assertThat(x.xid()).isEqualTo(7);
                assertThat(ops).allSatisfy(op -> assertThat(x.holds(op.opId().value())).isTrue());
            });
        }
    }

    @Test
    void concurrentReadersSeeOnlyCommittedCheckpoints() throws Exception {
        BucketStorage s = open();
        List<Checkpoint> announced = new CopyOnWriteArrayList<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        s.checkpoints().subscribe(cp -> {
            announced.add(cp);
            try (ReadView v = s.reader().open()) {
                if (v.checkpoint().isEmpty() || v.checkpoint().get().lastOpId().compareTo(cp.lastOpId()) < 0) {
                    problems.add("announced " + cp + " before a reader could see it");
                }
            }
        });
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            readers.add(Thread.ofPlatform().start(() -> {
                OpId last = OpId.ZERO;
                while (writing.get()) {
                    try (ReadView v = s.reader().open()) {
                        OpId cp = v.checkpoint().map(Checkpoint::lastOpId).orElse(OpId.ZERO);
                        if (cp.compareTo(last) < 0) {
                            problems.add("checkpoint went back from " + last + " to " + cp);
                        }
                        last = cp;
                        for (String bucket : List.of("x[]", "y[]")) {
                            List<BucketOp> ops = v.ops(bucket, OpId.ZERO, ALL, Integer.MAX_VALUE);
                            if (ops.stream().anyMatch(o -> o.opId().isAfter(cp))) {
                                problems.add("saw an op beyond checkpoint " + cp + " in " + bucket);
                            }
                            long sum = OpChecksum.wrap(ops.stream().mapToLong(BucketOp::checksum).sum());
                            if (sum != v.checksum(bucket).checksum() || ops.size() != v.checksum(bucket).count()) {
                                problems.add("checksum of " + bucket + " does not match its ops at " + cp);
                            }
                        }
                        // Every transaction writes to both buckets equally: a torn read would break this.
                        if (v.checksum("x[]").count() != v.checksum("y[]").count()) {
                            problems.add("saw part of a transaction at " + cp);
                        }
                    }
                }
            }));
        }
        for (int t = 0; t < 200; t++) {
            try (WriteTransaction tx = s.writer().begin()) {
                for (int i = 0; i < 5; i++) {
                    tx.put(new Placement("x[]", "t", Integer.toString(i)), "k" + i, "{\"t\":" + t + "}");
                    Thread.onSpinWait();
                    tx.put(new Placement("y[]", "t", Integer.toString(i)), "k" + i, "{\"t\":" + t + "}");
                }
                tx.commit(new CommitPosition(t + 1), true);
            }
        }
        writing.set(false);
        for (Thread r : readers) {
            r.join();
        }
        assertThat(problems).isEmpty();
        assertThat(announced).hasSize(200);
        assertThat(announced).extracting(Checkpoint::lastOpId).isSorted();
    }

    @Test
    void noCheckpointUntilTheStateIsConsistent() {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k", "{}");
            tx.snapshotProgress("progress-50");
            assertThat(tx.commit(null, false)).isEmpty();
        }
        try (ReadView v = s.reader().open()) {
            assertThat(v.checkpoint()).isEmpty();
        }
        assertThat(s.checkpoints().latest()).isEmpty();
        assertThat(s.writer().loadState().snapshotProgress()).isEqualTo("progress-50");
        try (WriteTransaction tx = s.writer().begin()) {
            assertThat(tx.commit(new CommitPosition(60), true)).hasValue(new Checkpoint(new OpId(1), new CommitPosition(60)));
        }
        assertThat(s.compactor().compactAll().buckets()).isEqualTo(1);
    }

    @Test
    void largestBucketsAndWriterStateAreReadInAView() {
        BucketStorage s = open();
        try (ReadView v = s.reader().open()) {
            assertThat(v.largestBuckets(10)).isEmpty();
            assertThat(v.writerState().snapshotProgress()).isNull();
            assertThat(v.writerState().storedCommit()).isEqualTo(CommitPosition.ZERO);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("small[]", "t", "1"), "k", "{}");
            tx.put(new Placement("big[]", "t", "1"), "k", "{}");
            tx.put(new Placement("big[]", "t", "2"), "k", "{}");
            tx.put(new Placement("big[]", "t", "3"), "k", "{}");
            tx.put(new Placement("mid[]", "t", "1"), "k", "{}");
            tx.put(new Placement("mid[]", "t", "2"), "k", "{}");
            tx.snapshotProgress("progress-7");
            tx.acknowledged(new CommitPosition(75));
            tx.commit(new CommitPosition(70), true);
        }
        try (ReadView v = s.reader().open()) {
            assertThat(v.largestBuckets(2)).extracting(BucketStats::bucket, BucketStats::ops)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("big[]", 3L), org.assertj.core.groups.Tuple.tuple("mid[]", 2L));
            assertThat(v.largestBuckets(10)).hasSize(3);
            assertThat(v.writerState()).isEqualTo(new WriterState("progress-7", new CommitPosition(70),
                    new CommitPosition(75)));
        }
    }

    /**
     * {@link WriteTransaction#prefetch} is only a hint: reads after it return exactly what they
     * would without it (stored rows, absent rows, the transaction's own writes), and what a rolled
     * back transaction wrote is never read again, by the same writer either.
     */
    @Test
    void readsAfterAPrefetchSeeStoredRowsOwnWritesAndNothingOfARollback() {
        BucketStorage s = open();
        TableId todos = SourceIds.table(TodoRules.TODOS);
        List<SourceRowId> ids = new java.util.ArrayList<>();
        for (long i = 0; i < 2_500; i++) {   // more than one prefetch statement holds
            ids.add(new SourceRowId(todos, List.of(SqlValue.of(i))));
        }
        StoredSourceRow v1 = new StoredSourceRow(null, List.of(new Placement("a[]", "todos", "x")), List.of());
        StoredSourceRow v2 = new StoredSourceRow(null, List.of(new Placement("b[]", "todos", "x")), List.of());
        try (WriteTransaction tx = s.writer().begin()) {
            for (int i = 0; i < ids.size(); i += 2) {
                tx.saveSourceRow(ids.get(i), null, v1);   // even ids stored
            }
            tx.commit(new CommitPosition(1), true);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.saveSourceRow(ids.get(1), null, v2);       // own write before the prefetch
            tx.prefetch(ids);
            assertThat(tx.sourceRow(ids.get(0))).hasValue(v1);
            assertThat(tx.sourceRow(ids.get(1))).as("own write, not the stored absence").hasValue(v2);
            assertThat(tx.sourceRow(ids.get(3))).isEmpty();
            assertThat(tx.sourceRow(ids.get(2_498))).hasValue(v1);
            tx.deleteSourceRow(ids.get(0), v1);
            tx.saveSourceRow(ids.get(2), v1, v2);
            tx.prefetch(ids);
            assertThat(tx.sourceRow(ids.get(0))).as("own delete").isEmpty();
            assertThat(tx.sourceRow(ids.get(2))).hasValue(v2);
            Map<SourceRowId, StoredSourceRow> listed = tx.sourceRows(todos, 10_000);
            assertThat(listed.size()).as("1,250 stored, one deleted, one added").isEqualTo(1_250);
            assertThat(listed.get(ids.get(2))).isEqualTo(v2);
            assertThat(listed.get(ids.get(1))).isEqualTo(v2);
            assertThat(listed.containsKey(ids.get(0))).isFalse();
            // rolled back
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.prefetch(ids);
            assertThat(tx.sourceRow(ids.get(0))).hasValue(v1);
            assertThat(tx.sourceRow(ids.get(1))).isEmpty();
            assertThat(tx.sourceRow(ids.get(2))).hasValue(v1);
            tx.saveSourceRow(ids.get(3), null, v2);
            tx.commit(new CommitPosition(2), true);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            assertThat(tx.sourceRow(ids.get(3))).as("committed write-behind").hasValue(v2);
            assertThat(tx.sourceRows(todos, 10_000).size()).isEqualTo(1_251);
        }
    }

    @Test
    void parameterIndexFollowsTheRowsThatProduceIt() {
        BucketStorage s = open();
        SourceRowId a = new SourceRowId(SourceIds.table(TodoRules.LISTS), List.of(SqlValue.of(1L)));
        SourceRowId b = new SourceRowId(SourceIds.table(TodoRules.LISTS), List.of(SqlValue.of(2L)));
        StoredSourceRow a1 = new StoredSourceRow(null, List.of(), List.of(new ParameterEntry("alice", "[1]")));
        StoredSourceRow b1 = new StoredSourceRow(null, List.of(), List.of(new ParameterEntry("alice", "[2]")));
        StoredSourceRow a2 = new StoredSourceRow(null, List.of(), List.of(new ParameterEntry("bob", "[1]")));
        try (WriteTransaction tx = s.writer().begin()) {
            tx.saveSourceRow(a, null, a1);
            tx.saveSourceRow(b, null, b1);
            tx.commit(new CommitPosition(1), true);
        }
        try (ReadView v = s.reader().open()) {
            assertThat(v.parameterValues("alice")).containsExactlyInAnyOrder("[1]", "[2]");
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.saveSourceRow(a, a1, a2);
            tx.deleteSourceRow(b, b1);
            assertThat(tx.sourceRows(SourceIds.table(TodoRules.LISTS), 10)).containsOnlyKeys(a);
            tx.commit(new CommitPosition(2), true);
        }
        try (ReadView v = s.reader().open()) {
            assertThat(v.parameterValues("alice")).isEmpty();
            assertThat(v.parameterValues("bob")).containsExactly("[1]");
        }
    }

    /** Whether the backend reports what each checkpoint changed (otherwise it must say UNKNOWN). */
    protected boolean tracksChanges() {
        return false;
    }

    @Test
    void announcedChangesCoverEveryBucketAndLookupKeyWrittenSinceTheLastCheckpoint() throws Exception {
        BucketStorage s = open();
        List<CheckpointChanges> announced = new CopyOnWriteArrayList<>();
        s.checkpoints().subscribeWithChanges((cp, changes) -> announced.add(changes));
        SourceRowId row = new SourceRowId(SourceIds.table(TodoRules.LISTS), List.of(SqlValue.of(1L)));
        StoredSourceRow alice = new StoredSourceRow(null, List.of(), List.of(new ParameterEntry("alice", "[1]")));
        StoredSourceRow bob = new StoredSourceRow(null, List.of(), List.of(new ParameterEntry("bob", "[1]")));
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("x[]", "t", "1"), "k1", "{}");
            tx.saveSourceRow(row, null, alice);
            tx.commit(new CommitPosition(1), true);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("y[]", "t", "2"), "k2", "{}");
            tx.commit(new CommitPosition(2), false); // no checkpoint: its changes belong to the next one
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("z[]", "t", "3"), "k3", "{}");
            tx.saveSourceRow(row, alice, bob);
            tx.commit(new CommitPosition(3), true);
        }
        assertThat(announced).hasSize(2);
        for (CheckpointChanges c : announced) {
            assertThat(c.known()).isEqualTo(tracksChanges());
        }
        if (tracksChanges()) {
            assertThat(announced.get(0).buckets()).contains("x[]");
            assertThat(announced.get(0).lookupKeys()).contains("alice");
            assertThat(announced.get(1).buckets()).contains("y[]", "z[]").doesNotContain("x[]");
            assertThat(announced.get(1).lookupKeys()).contains("alice", "bob");
        }
    }

    /** The write-checkpoint contract on this backend's store: write checkpoints live in the same storage. */
    @Nested
    class WriteCheckpoints extends WriteCheckpointStoreContract {
        @Override
        protected WriteCheckpointStore store() {
            return open().writeCheckpoints();
        }
    }

    @Test
    void writeCheckpointsSurviveARestartBesideTheBuckets() {
        BucketStorage s = open();
        s.writeCheckpoints().record("alice", "c1", 3, new CommitPosition(300));
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
            tx.commit(new CommitPosition(250), true);
        }
        s.close();
        BucketStorage reopened = open();
        WriteCheckpointStore store = reopened.writeCheckpoints();
        assertThat(store.latest("alice", "c1")).isEqualTo(3);
        assertThat(store.reached("alice", "c1", reopened.checkpoints().latest().orElseThrow().position())).isEmpty();
        assertThat(store.reached("alice", "c1", new CommitPosition(300))).contains(3L);
    }

    /** Uploads record write checkpoints on request threads while the pipeline holds a batch open. */
    @Test
    void aWriteCheckpointIsRecordedWhileTheWriterHoldsATransactionOpen() throws Exception {
        BucketStorage s = open();
        Thread recorder;
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
            recorder = Thread.ofPlatform().start(() -> s.writeCheckpoints().record("bob", "c9", 1, new CommitPosition(7)));
            tx.put(new Placement("a[]", "t", "2"), "k2", "{}");
            tx.commit(new CommitPosition(5), true);
        }
        recorder.join();
        assertThat(s.writeCheckpoints().reached("bob", "c9", new CommitPosition(7))).contains(1L);
        assertThat(ops(s, "a[]")).hasSize(2);
    }
}
