package dev.syncline.server.shape;

import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.rules.ClientTable;
import dev.syncline.rules.SourceTable;
import dev.syncline.server.storage.SourceXid;
import dev.syncline.server.sync.BucketDataSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        public List<SourceXid> sourceXids(long after, long upTo) {
            return xids.stream().filter(x -> x.lastOpId() > after && x.firstOpId() <= upTo).toList();
        }

        @Override
        public long compactedUpTo(String bucket) {
            return compactedUpTo;
        }

        @Override
        public void close() {
        }
    };
    private final List<SourceXid> xids = new ArrayList<>();
    /** What the reader says of the buckets' last compaction: unknown unless a test sets it. */
    private long compactedUpTo = Long.MAX_VALUE;

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
    void changesCarryTheXidsOfTheSourceTransactionsThatMadeThemAndSnapshotRowsNone() {
        long a = put("a", "t1", "{\"id\":\"t1\",\"done\":0}");
        xids.add(new SourceXid(a, a, 700));
        ShapeLog log = log(null, false);
        log.advance(a, Set.of("a"), reader);
        assertThat(list(log.snapshot())).singleElement().satisfies(c -> assertThat(c.txids()).isEmpty());

        long b1 = put("a", "t2", "{\"id\":\"t2\",\"done\":0}");
        long b2 = put("b", "t2", "{\"id\":\"t2\",\"done\":0}");
        xids.add(new SourceXid(b1, b2, 4_000_000_001L));
        long c1 = put("a", "t1", "{\"id\":\"t1\",\"done\":1}");
        long c2 = remove("a", "t2");
        xids.add(new SourceXid(c1, c2, 702));
        long d = put("a", "t3", "{\"id\":\"t3\",\"done\":1}");   // no record (e.g. pruned): no txids
        List<ShapeChange> changes = log.advance(d, Set.of("a", "b"), reader);
        Map<String, List<Long>> byRow = new HashMap<>();
        changes.forEach(c -> byRow.put(c.operation().wire + ":" + c.value().get("id"), c.txids()));
        assertThat(byRow).containsOnlyKeys("insert:t2", "update:t1", "insert:t3");
        assertThat(byRow.get("update:t1")).containsExactly(702L);
        assertThat(byRow.get("insert:t2")).as("bucket b read whole (new grant); both transactions touched t2")
                .containsExactly(4_000_000_001L, 702L);
        assertThat(byRow.get("insert:t3")).isEmpty();
        assertThat(ShapeMessages.change(log.definition().table(), changes.stream()
                .filter(c -> c.value().get("id").equals("t1")).findFirst().orElseThrow()))
                .contains("\"txids\":[702]");
    }

    @Test
    void grantChangesArriveAsInsertsAndDeletesAndResumeFromAnyRecentOffset() {
        put("a", "t1", "{\"id\":\"t1\",\"done\":0}");
        put("b", "t2", "{\"id\":\"t2\",\"done\":1}");
        ShapeLog log = log(null, false);
        log.advance(2, Set.of("a"), reader);
        assertThat(summary(list(log.snapshot()))).containsExactly("insert:t1");
        ShapeOffset first = log.offset();

        log.advance(2, Set.of("a", "b"), reader);
        ShapeOffset second = log.offset();
        assertThat(second).as("a grant change at the same op id still moves the offset").isNotEqualTo(first);
        assertThat(second.opId()).isEqualTo(first.opId());
        assertThat(summary(log.changesSince(first))).containsExactly("insert:t2");

        put("a", "t1", "{\"id\":\"t1\",\"done\":1}");
        List<ShapeChange> changes = log.advance(3, Set.of("b"), reader);
        assertThat(summary(changes)).containsExactly("delete:t1");
        assertThat(summary(log.changesSince(first))).containsExactly("insert:t2", "delete:t1");
        assertThat(log.changesSince(new ShapeOffset(2, 5))).as("an offset the log never gave").isNull();
    }

    private ShapeLog rebuilt(ShapeOffset at, long checkpoint, Set<String> granted) {
        Map<String, Long> checksums = new HashMap<>();
        for (String bucket : granted) {
            checksums.put(bucket, ops.getOrDefault(bucket, List.of()).stream().mapToLong(OplogEntry::checksum).sum());
        }
        ShapeLog log = ShapeLog.rebuild("h-2", log(null, false).definition(), at, checkpoint, checksums, reader);
        log.advance(checkpoint, granted, reader);
        return log;
    }

    @Test
    void aLogRebuiltAtAnOffsetGivesTheSameChangesAfterItAsTheLogThatIssuedIt() {
        put("a", "t1", "{\"id\":\"t1\",\"done\":0}");
        put("a", "t2", "{\"id\":\"t2\",\"done\":0}");
        ShapeLog issuer = log(null, false);
        issuer.advance(2, Set.of("a"), reader);
        ShapeOffset at = issuer.offset();
        assertThat(at).isEqualTo(ShapeOffset.of(2, Set.of("a")));
        put("a", "t1", "{\"id\":\"t1\",\"done\":1}");
        remove("a", "t2");
        put("a", "t3", "{\"id\":\"t3\",\"done\":0}");
        issuer.advance(5, Set.of("a"), reader);

        ShapeLog other = rebuilt(at, 5, Set.of("a"));
        assertThat(summary(other.changesSince(at))).containsExactlyInAnyOrder("update:t1", "delete:t2", "insert:t3")
                .containsExactlyInAnyOrderElementsOf(summary(issuer.changesSince(at)));
        assertThat(other.offset()).isEqualTo(issuer.offset());
        assertThat(summary(list(other.snapshot()))).containsExactlyElementsOf(summary(list(issuer.snapshot())));
    }

    @Test
    void aRebuildRefusesAnOffsetWhoseBucketsAreNotTheUsersBucketsNowOrThatIsInTheFuture() {
        put("a", "t1", "{\"id\":\"t1\"}");
        put("b", "t2", "{\"id\":\"t2\"}");
        assertThatThrownBy(() -> rebuilt(ShapeOffset.of(1, Set.of("a")), 2, Set.of("a", "b")))
                .isInstanceOf(ShapeException.class).hasMessageContaining("buckets changed");
        assertThatThrownBy(() -> rebuilt(ShapeOffset.of(3, Set.of("a")), 2, Set.of("a")))
                .isInstanceOf(ShapeException.class).hasMessageContaining("past the latest checkpoint");
    }

    @Test
    void aRebuildServesAnOffsetBelowACompactionWhenTheChangedRowsKeptTheirVersionAndRefusesItOtherwise() {
        put("a", "t1", "{\"id\":\"t1\",\"done\":0}");
        put("a", "t1", "{\"id\":\"t1\",\"done\":1}");
        put("a", "t2", "{\"id\":\"t2\",\"done\":0}");
        ShapeOffset at = ShapeOffset.of(3, Set.of("a"));
        put("a", "t2", "{\"id\":\"t2\",\"done\":1}");
        // compacted at op 3: op 1 (superseded by op 2) became a MOVE; t2's version as of the offset survives
        ops.get("a").set(0, new OplogEntry(1, OplogEntry.Op.MOVE, null, null, null, null, 0));
        assertThat(summary(rebuilt(at, 4, Set.of("a")).changesSince(at))).containsExactly("update:t2");

        // compacted at op 4: op 3, t2's version as of the offset, is a MOVE now; storage no longer knows it
        ops.get("a").set(2, new OplogEntry(3, OplogEntry.Op.MOVE, null, null, null, null, 0));
        assertThatThrownBy(() -> rebuilt(at, 4, Set.of("a"))).isInstanceOf(ShapeException.class)
                .hasMessageContaining("compacted past offset");
        // a CLEAR above the offset hides what was there
        ops.put("a", new ArrayList<>(List.of(new OplogEntry(3, OplogEntry.Op.CLEAR, null, null, null, null, 0),
                new OplogEntry(4, OplogEntry.Op.PUT, "todos", "t2", "s", "{\"id\":\"t2\"}", 0))));
        assertThatThrownBy(() -> rebuilt(ShapeOffset.of(2, Set.of("a")), 4, Set.of("a"))).isInstanceOf(ShapeException.class)
                .hasMessageContaining("compacted past offset");
    }

    @Test
    void aRowInsertedAfterTheOffsetIntoACompactedBucketIsServedWhenTheCompactionRanBeforeTheInsert() {
        put("a", "t1", "{\"id\":\"t1\",\"done\":0}");
        put("a", "t1", "{\"id\":\"t1\",\"done\":1}");
        ops.get("a").set(0, new OplogEntry(1, OplogEntry.Op.MOVE, null, null, null, null, 0));
        compactedUpTo = 2;
        ShapeOffset at = ShapeOffset.of(3, Set.of("a"));
        put("a", "t0", "{\"id\":\"t0\",\"done\":0}"); // op 3, at the offset
        put("a", "t2", "{\"id\":\"t2\",\"done\":0}"); // op 4, after it
        assertThat(summary(rebuilt(at, 4, Set.of("a")).changesSince(at))).containsExactly("insert:t2");

        // a later compaction that ran after t2's insert: t2 could have had a version as of the offset
        compactedUpTo = 4;
        assertThatThrownBy(() -> rebuilt(at, 4, Set.of("a"))).isInstanceOf(ShapeException.class)
                .hasMessageContaining("compacted past offset");
        compactedUpTo = Long.MAX_VALUE;
        assertThatThrownBy(() -> rebuilt(at, 4, Set.of("a"))).as("unknown").isInstanceOf(ShapeException.class);
    }

    @Test
    void aLogCatchesUpToAnOffsetAheadOfItByReadingOnUnlessACompactionRanAfterThatOffset() {
        put("a", "t1", "{\"id\":\"t1\",\"done\":0}");
        ShapeLog behind = log(null, false);
        behind.advance(1, Set.of("a"), reader);
        ShapeOffset first = behind.offset();
        put("a", "t2", "{\"id\":\"t2\",\"done\":0}");
        ShapeOffset ahead = ShapeOffset.of(2, Set.of("a"));   // another node's log went on to op 2
        put("a", "t2", "{\"id\":\"t2\",\"done\":1}");

        compactedUpTo = Long.MAX_VALUE;
        assertThat(behind.catchUp(ahead, Set.of("a"), reader)).as("compaction unknown").isFalse();
        assertThat(behind.catchUp(ShapeOffset.of(2, Set.of("a", "b")), Set.of("a"), reader)).as("other buckets").isFalse();
        compactedUpTo = 0;
        assertThat(behind.catchUp(ahead, Set.of("a"), reader)).isTrue();
        behind.advance(3, Set.of("a"), reader);
        assertThat(summary(behind.changesSince(ahead))).containsExactly("update:t2");
        assertThat(summary(behind.changesSince(first))).containsExactly("insert:t2", "update:t2");

        // a compaction that commits while the log reads on: it may have hidden ops the log skipped
        ShapeLog raced = log(null, false);
        raced.advance(1, Set.of("a"), reader);
        int[] calls = {0};
        BucketDataSource.Reader racing = new BucketDataSource.Reader() {
            @Override
            public List<OplogEntry> ops(String bucket, long after, long upTo, int limit) {
                return reader.ops(bucket, after, upTo, limit);
            }

            @Override
            public long compactedUpTo(String bucket) {
                return calls[0]++ == 0 ? 0 : 3;
            }

            @Override
            public void close() {
            }
        };
        assertThat(raced.catchUp(ahead, Set.of("a"), racing)).isFalse();
        assertThat(raced.changesSince(first)).as("a broken log serves no offset").isNull();
    }

    @Test
    void aRebuildWhoseOpsDoNotSumToTheBucketsChecksumIsRefused() {
        put("a", "t1", "{\"id\":\"t1\"}");
        ShapeLog template = log(null, false);
        assertThatThrownBy(() -> ShapeLog.rebuild("h-2", template.definition(), ShapeOffset.of(1, Set.of("a")), 1,
                Map.of("a", 7L), reader)).isInstanceOf(ShapeException.class).hasMessageContaining("changed while it was read");
    }

    @Test
    void offsetsReadBackAsWrittenAndFitOneElectricNumber() {
        ShapeOffset big = new ShapeOffset(Long.MAX_VALUE, ShapeOffset.GRANT_RANGE - 1);
        assertThat(ShapeOffset.parse(big.number())).isEqualTo(big);
        assertThat(big.toString()).isEqualTo(big.number() + "_0");
        assertThat(ShapeOffset.parse("5")).isEqualTo(new ShapeOffset(0, 5));
        assertThat(ShapeOffset.parse("92233720368547758080000000000000")).as("op id past a long").isNull();
        assertThat(ShapeOffset.grantOf(List.of("b", "a"))).isEqualTo(ShapeOffset.grantOf(Set.of("a", "b")))
                .isNotEqualTo(ShapeOffset.grantOf(Set.of("a")));
    }

    @Test
    void aRowHeldByTwoBucketsStaysUntilBothLetGoAndTheNewestVersionWins() {
        put("a", "t1", "{\"id\":\"t1\",\"done\":0}");
        put("b", "t1", "{\"id\":\"t1\",\"done\":1}");
        ShapeLog log = log(null, false);
        log.advance(2, Set.of("a", "b"), reader);
        assertThat(list(log.snapshot()).getFirst().value()).containsEntry("done", "t");
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

    private static List<ShapeChange> list(Iterable<ShapeChange> changes) {
        List<ShapeChange> out = new java.util.ArrayList<>();
        changes.forEach(out::add);
        return out;
    }
}
