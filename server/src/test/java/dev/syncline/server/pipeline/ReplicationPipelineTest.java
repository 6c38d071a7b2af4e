package dev.syncline.server.pipeline;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.SourceTransaction;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static dev.syncline.server.pipeline.TodoTables.list;
import static dev.syncline.server.pipeline.TodoTables.todo;
import static dev.syncline.server.pipeline.TodoTables.todoKey;
import static org.assertj.core.api.Assertions.assertThat;

class ReplicationPipelineTest {
    @TempDir
    Path dir;
    BucketStorage storage;
    ReplicationPipeline pipeline;
    final List<Lsn> acks = new ArrayList<>();
    final AtomicLong clock = new AtomicLong();
    long lsn = 1000;

    @BeforeEach
    void open() {
        start(new BatchPolicy(1_000_000, Duration.ofHours(1)));
    }

    private void start(BatchPolicy policy) {
        storage = SqliteBucketStorage.open(dir.resolve("syncline.db"));
        pipeline = new ReplicationPipeline(storage, new TodoRules(), policy, clock::get);
        pipeline.open(acks::add);
        pipeline.loadState();
        // A completed, consistent copy of nothing, so that checkpoints flow.
        SnapshotProgress done = new SnapshotProgress("slot", new Lsn(10), List.of(
                new SnapshotProgress.TableProgress(TodoRules.LISTS, 1001, List.of(), 0, true)));
        if (pipeline.loadState().snapshot() == null) {
            pipeline.snapshotStarted(done);
            pipeline.snapshotChunk(TodoTables.LISTS, List.of(), done);
        }
    }

    @AfterEach
    void close() {
        storage.close();
    }

    private void tx(RowChange... changes) {
        lsn += 10;
        pipeline.begin(new SourceTransaction.Begin(lsn, new Lsn(lsn), Instant.EPOCH));
        for (RowChange c : changes) {
            pipeline.change(c);
        }
        pipeline.commit(new SourceTransaction.Commit(lsn, new Lsn(lsn), new Lsn(lsn + 1), Instant.EPOCH));
    }

    private List<BucketOp> ops(String bucket) {
        try (ReadView v = storage.reader().open()) {
            return v.ops(bucket, OpId.ZERO, new OpId(Long.MAX_VALUE), 10_000);
        }
    }

    @Test
    void rowMovingBetweenBucketsLeavesARemoveBehind() {
        tx(new RowChange.Insert(todo(1, 10, "a", false)));
        tx(new RowChange.Update(null, todo(1, 20, "a", true)));
        pipeline.idle();
        assertThat(ops("by_list[\"10\"]")).extracting(BucketOp::type).containsExactly(OpType.PUT, OpType.REMOVE);
        assertThat(ops("everything[]")).extracting(BucketOp::type).containsExactly(OpType.PUT, OpType.REMOVE);
        assertThat(ops("by_list[\"20\"]")).extracting(BucketOp::type).containsExactly(OpType.PUT);
        BucketOp.Put put = (BucketOp.Put) ops("by_list[\"10\"]").getFirst();
        BucketOp.Remove remove = (BucketOp.Remove) ops("by_list[\"10\"]").getLast();
        assertThat(remove.subkey()).isEqualTo(put.subkey());
        assertThat(List.of(remove.objectType(), remove.objectId())).containsExactly("todos", "1");
    }

    @Test
    void batchesUntilIdleThenCommitsAndAcknowledgesTheLastEndLsn() {
        tx(new RowChange.Insert(todo(1, 10, "a", false)));
        tx(new RowChange.Insert(todo(2, 10, "b", false)));
        assertThat(acks).isEmpty();
        assertThat(storage.checkpoints().latest()).isEmpty();
        pipeline.idle();
        assertThat(acks).containsExactly(new Lsn(lsn + 1));
        assertThat(storage.writer().loadState().storedCommit()).isEqualTo(new CommitPosition(lsn));
        assertThat(storage.checkpoints().latest().orElseThrow().lastOpId()).isEqualTo(new OpId(4));
    }

    @Test
    void idleInsideATransactionCommitsNothing() {
        pipeline.begin(new SourceTransaction.Begin(1, new Lsn(5000), Instant.EPOCH));
        pipeline.change(new RowChange.Insert(todo(1, 10, "a", false)));
        pipeline.idle();
        assertThat(acks).isEmpty();
        assertThat(ops("by_list[\"10\"]")).isEmpty();
        pipeline.commit(new SourceTransaction.Commit(1, new Lsn(5000), new Lsn(5001), Instant.EPOCH));
        pipeline.idle();
        assertThat(acks).containsExactly(new Lsn(5001));
    }

    @Test
    void sizeAndAgeLimitsCommitABusyStream() {
        storage.close();
        start(new BatchPolicy(3, Duration.ofMillis(50)));
        tx(new RowChange.Insert(todo(1, 10, "a", false)), new RowChange.Insert(todo(2, 10, "a", false)));
        assertThat(acks).isEmpty();
        tx(new RowChange.Insert(todo(3, 10, "a", false)));
        assertThat(acks).hasSize(1);
        tx(new RowChange.Insert(todo(4, 10, "a", false)));
        clock.addAndGet(Duration.ofMillis(60).toNanos());
        tx(new RowChange.Insert(todo(5, 10, "a", false)));
        assertThat(acks).hasSize(2);
    }

    @Test
    void heartbeatWhileIdleIsAcknowledgedAtOnce() {
        pipeline.message(new SourceTransaction.LogicalMessage(new Lsn(777), false, "syncline-heartbeat", new byte[0]));
        assertThat(acks).contains(new Lsn(777));
    }

    @Test
    void checkpointsWaitForTheStreamToPassTheCopysConsistentPoint() {
        storage.close();
        storage = SqliteBucketStorage.open(dir.resolve("other.db"));
        pipeline = new ReplicationPipeline(storage, new TodoRules(), BatchPolicy.DEFAULT, clock::get);
        pipeline.open(acks::add);
        pipeline.loadState();
        SnapshotProgress started = new SnapshotProgress("slot", new Lsn(500), List.of(
                new SnapshotProgress.TableProgress(TodoRules.TODOS, 1002, List.of(), 0, false)));
        pipeline.snapshotStarted(started);
        SnapshotProgress done = started.with(new SnapshotProgress.TableProgress(TodoRules.TODOS, 1002, List.of("2"), 2, true));
        pipeline.snapshotChunk(TodoTables.TODOS, List.of(todo(1, 10, "a", false), todo(2, 10, "b", true)), done);
        assertThat(storage.checkpoints().latest()).isEmpty();
        assertThat(ops("by_list[\"10\"]")).hasSize(2);
        pipeline.message(new SourceTransaction.LogicalMessage(new Lsn(400), false, "syncline-heartbeat", new byte[0]));
        pipeline.idle();
        assertThat(storage.checkpoints().latest()).isEmpty();
        pipeline.message(new SourceTransaction.LogicalMessage(new Lsn(600), false, "syncline-heartbeat", new byte[0]));
        assertThat(storage.checkpoints().latest().orElseThrow().lastOpId()).isEqualTo(new OpId(3));
        assertThat(acks).containsExactly(new Lsn(400), new Lsn(600));
    }

    @Test
    void storedImageFillsToastEvenBeforeItsTransactionIsCommitted() {
        String big = "x".repeat(5000);
        Row row = list(1, "alice", big);
        pipeline.begin(new SourceTransaction.Begin(1, new Lsn(5000), Instant.EPOCH));
        pipeline.change(new RowChange.Insert(row));
        assertThat(pipeline.lastImage(TodoRules.LISTS, List.of(SqlValue.of(1L))).orElseThrow().get("name"))
                .isEqualTo(SqlValue.of(big));
        pipeline.change(new RowChange.Insert(list(2, "bob", "small")));
        assertThat(pipeline.lastImage(TodoRules.LISTS, List.of(SqlValue.of(2L)))).as("too small to be TOASTed").isEmpty();
    }

    @Test
    void truncateAndRecreateRemoveEveryRowOfTheTable() {
        List<RowChange> inserts = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            inserts.add(new RowChange.Insert(todo(i, i % 3, "t", false)));
        }
        tx(inserts.toArray(RowChange[]::new));
        tx(new RowChange.Insert(list(1, "alice", "l")), new RowChange.Truncate(List.of(TodoRules.TODOS)));
        pipeline.idle();
        assertThat(BucketOracle.stored(storage)).containsOnlyKeys("everything[]");
        pipeline.tableRecreated(TodoRules.LISTS, 1001, 2001);
        pipeline.idle();
        assertThat(BucketOracle.stored(storage)).isEmpty();
    }

    @Test
    void randomChangesMatchTheRulesOverTheSameRows() {
        Random random = new Random(3);
        Map<TableName, Map<List<SqlValue>, Map<String, SqlValue>>> model = new HashMap<>();
        model.put(TodoRules.LISTS, new HashMap<>());
        model.put(TodoRules.TODOS, new HashMap<>());
        for (int t = 0; t < 300; t++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = random.nextInt(1, 6); i > 0; i--) {
                long id = random.nextInt(40);
                Map<List<SqlValue>, Map<String, SqlValue>> todos = model.get(TodoRules.TODOS);
                switch (random.nextInt(6)) {
                    case 0, 1 -> {
                        Row r = todo(id, random.nextInt(5), "t" + random.nextInt(3), random.nextBoolean());
                        todos.put(r.key(), r.asMap());
                        changes.add(new RowChange.Insert(r));
                    }
                    case 2 -> {
                        Row r = todo(id, random.nextInt(5), "u", random.nextBoolean());
                        todos.put(r.key(), r.asMap());
                        changes.add(new RowChange.Update(null, r));
                    }
                    case 3 -> {
                        todos.remove(List.of(SqlValue.of(id)));
                        changes.add(new RowChange.Delete(todoKey(id)));
                    }
                    case 4 -> {
                        Map<String, SqlValue> old = todos.remove(List.of(SqlValue.of(id)));
                        if (old != null) {
                            long newId = 100 + random.nextInt(40);
                            Row r = todo(newId, 1, "moved", false);
                            todos.put(r.key(), r.asMap());
                            changes.add(new RowChange.Update(todoKey(id), r));
                        }
                    }
                    default -> {
                        Row r = list(random.nextInt(5), "user" + random.nextInt(3), "l");
                        model.get(TodoRules.LISTS).put(r.key(), r.asMap());
                        changes.add(new RowChange.Insert(r));
                    }
                }
            }
            tx(changes.toArray(RowChange[]::new));
            if (random.nextInt(4) == 0) {
                pipeline.idle();
            }
            if (random.nextInt(50) == 0) {
                pipeline.idle();     // the compactor waits for the writer's open batch
                storage.compactor().compactAll();
            }
        }
        pipeline.idle();
        Map<TableName, List<Map<String, SqlValue>>> tables = new HashMap<>();
        model.forEach((k, v) -> tables.put(k, new ArrayList<>(v.values())));
        assertThat(BucketOracle.stored(storage)).isEqualTo(BucketOracle.expected(new TodoRules(), tables));
        Map<String, List<String>> params = BucketOracle.expectedParameters(new TodoRules(), tables);
        List<String> keys = List.of("[\"by_list\",0,\"user0\"]", "[\"by_list\",0,\"user1\"]", "[\"by_list\",0,\"user2\"]");
        assertThat(BucketOracle.storedParameters(storage, keys)).isEqualTo(params);
    }
}
