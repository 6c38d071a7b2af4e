package dev.syncline.server.shape;

import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.rules.ClientTable;
import dev.syncline.rules.SourceTable;
import dev.syncline.server.sync.BucketDataSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The shape log over hand-built bucket ops: grant changes, union, where transitions, compaction. */
class ShapeLogTest {
    private final Map<String, List<OplogEntry>> ops = new HashMap<>();
    private long nextOp = 1;

    private final BucketDataSource.Reader reader = new BucketDataSource.Reader() {
        @Override
        public List<OplogEntry> ops(String bucket, long after, long upTo, int limit) {
            List<OplogEntry> out = new ArrayList<>();
            for (OplogEntry e : ops.getOrDefault(bucket, List.of())) {
                if (e.opId() > after && e.opId() <= upTo && out.size() < limit) {
                    out.add(e);
                }
            }
            return out;
        }

        @Override
        public void close() {
        }
    };

    private long put(String bucket, String id, String json) {
        long op = nextOp++;
        ops.computeIfAbsent(bucket, b -> new ArrayList<>()).add(
                new OplogEntry(op, OplogEntry.Op.PUT, "todos", id, "s", json, 0));
        return op;
    }

    private long remove(String bucket, String id) {
        long op = nextOp++;
        ops.computeIfAbsent(bucket, b -> new ArrayList<>()).add(new OplogEntry(op, OplogEntry.Op.REMOVE, "todos", id, "s", null, 0));
        return op;
    }

    private static ShapeLog log(String where, boolean full) {
        ShapeTable table = new ShapeTable("todos", new SourceTable("public", "todos"),
                new ClientTable("todos", new SourceTable("public", "todos"), Map.of(), Map.of(), null));
        ShapeSchema schema = new ShapeSchema(table, List.of(new PgColumn("done", "bool", 0, false)), null);
        return new ShapeLog("h-1", new ShapeLog.Definition(table, schema, WhereClause.compile(where, List.of()), full));
    }

    private static List<String> summary(List<ShapeChange> changes) {
        return changes.stream().map(c -> c.operation().wire + ":" + c.value().get("id")).toList();
    }

    @Test
    void grantChangesArriveAsInsertsAndDeletesAndResumeFromAnyRecentOffset() {
        put("a", "t1", "{\"id\":\"t1\",\"done\":0}");
        put("b", "t2", "{\"id\":\"t2\",\"done\":1}");
        ShapeLog log = log(null, false);
        log.advance(2, Set.of("a"), reader);
        assertThat(summary(log.snapshot())).containsExactly("insert:t1");
        long first = log.offset();

        log.advance(2, Set.of("a", "b"), reader);
        long second = log.offset();
        assertThat(second).as("a grant change at the same op id still moves the offset").isGreaterThan(first);
        assertThat(summary(log.changesSince(first))).containsExactly("insert:t2");

        put("a", "t1", "{\"id\":\"t1\",\"done\":1}");
        List<ShapeChange> changes = log.advance(3, Set.of("b"), reader);
        assertThat(summary(changes)).containsExactly("delete:t1");
        assertThat(summary(log.changesSince(first))).containsExactly("insert:t2", "delete:t1");
        assertThat(log.changesSince(second - 5)).as("an offset the log never gave").isNull();
    }

    @Test
    void aRowHeldByTwoBucketsStaysUntilBothLetGoAndTheNewestVersionWins() {
        put("a", "t1", "{\"id\":\"t1\",\"done\":0}");
        put("b", "t1", "{\"id\":\"t1\",\"done\":1}");
        ShapeLog log = log(null, false);
        log.advance(2, Set.of("a", "b"), reader);
        assertThat(log.snapshot().getFirst().value()).containsEntry("done", "t");
        remove("b", "t1");
        assertThat(summary(log.advance(3, Set.of("a", "b"), reader))).containsExactly("update:t1");
        assertThat(summary(log.advance(3, Set.of("b"), reader))).containsExactly("delete:t1");
    }

    @Test
    void rowsCrossingTheWhereClauseAreInsertedAndDeletedAndUpdatesCarryOldValuesWithReplicaFull() {
        put("a", "t1", "{\"id\":\"t1\",\"done\":0,\"title\":\"x\"}");
        ShapeLog log = log("done = 0", true);
        log.advance(1, Set.of("a"), reader);
        put("a", "t1", "{\"id\":\"t1\",\"done\":0,\"title\":\"y\"}");
        ShapeChange update = log.advance(2, Set.of("a"), reader).getFirst();
        assertThat(update.operation()).isEqualTo(ShapeChange.Operation.UPDATE);
        assertThat(update.value()).containsEntry("title", "y").containsEntry("done", "f");
        assertThat(update.oldValue()).isEqualTo(Map.of("title", "x"));
        put("a", "t1", "{\"id\":\"t1\",\"done\":1,\"title\":\"y\"}");
        ShapeChange delete = log.advance(3, Set.of("a"), reader).getFirst();
        assertThat(delete.operation()).isEqualTo(ShapeChange.Operation.DELETE);
        assertThat(delete.value()).as("replica=full sends the whole old row").containsEntry("title", "y");
    }

    @Test
    void aClearAfterTheLogsOffsetRereadsTheBucketAndComparesRows() {
        put("a", "t1", "{\"id\":\"t1\"}");
        put("a", "t2", "{\"id\":\"t2\"}");
        ShapeLog log = log(null, false);
        log.advance(2, Set.of("a"), reader);
        // compaction folded everything up to op 4 into a CLEAR: t1 was removed, t3 added
        put("a", "t3", "{\"id\":\"t3\"}");
        remove("a", "t1");
        ops.put("a", new ArrayList<>(List.of(new OplogEntry(4, OplogEntry.Op.CLEAR, null, null, null, null, 0),
                new OplogEntry(5, OplogEntry.Op.PUT, "todos", "t2", "s", "{\"id\":\"t2\"}", 0),
                new OplogEntry(6, OplogEntry.Op.PUT, "todos", "t3", "s", "{\"id\":\"t3\"}", 0))));
        assertThat(summary(log.advance(6, Set.of("a"), reader))).containsExactlyInAnyOrder("delete:t1", "insert:t3");
    }
}
