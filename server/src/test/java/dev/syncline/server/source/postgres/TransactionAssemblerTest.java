package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Relation.Column;
import dev.syncline.server.source.postgres.pgoutput.TupleData;
import dev.syncline.server.source.postgres.pgoutput.TupleData.ColumnValue;
import dev.syncline.server.source.postgres.values.PgType;
import dev.syncline.server.source.postgres.values.PgValueMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransactionAssemblerTest {
    static final int INT8 = 20;
    static final int TEXT = 25;
    static final TableName DOCS = new TableName("public", "docs");

    final RecordingSink sink = new RecordingSink();
    final RowMapper rowMapper = new RowMapper(new PgValueMapper(oid -> new PgType(oid, "t", oid == INT8 ? 'N' : 'S', 0)));

    TransactionAssembler assembler(Lsn skipThrough, RowImageLookup stored) {
        return assembler(skipThrough, stored, Lsn.ZERO);
    }

    TransactionAssembler assembler(Lsn skipThrough, RowImageLookup stored, Lsn consistentAfter) {
        return new TransactionAssembler(sink, rowMapper, name -> List.of("id"), stored, Map.of(DOCS, 100), skipThrough,
                consistentAfter, dev.syncline.server.config.CaptureConfig.DEFAULT_MAX_PENDING_BYTES);
    }

    static PgOutputMessage.Relation docs(int relationId, char identity) {
        return new PgOutputMessage.Relation(0, relationId, "public", "docs", identity,
                List.of(new Column(identity == 'f' || identity == 'd', "id", INT8, -1),
                        new Column(identity == 'f', "title", TEXT, -1),
                        new Column(identity == 'f', "body", TEXT, -1)));
    }

    static TupleData tuple(Object... values) {
        List<ColumnValue> columns = new ArrayList<>();
        for (Object v : values) {
            columns.add(v == null ? ColumnValue.Null.INSTANCE : v == ColumnValue.UnchangedToast.INSTANCE
                    ? ColumnValue.UnchangedToast.INSTANCE : new ColumnValue.Text(v.toString().getBytes(StandardCharsets.UTF_8)));
        }
        return new TupleData(columns);
    }

    static final Object TOAST = ColumnValue.UnchangedToast.INSTANCE;

    static PgOutputMessage.Begin begin(long lsn) {
        return new PgOutputMessage.Begin(new Lsn(lsn), 0, lsn);
    }

    static PgOutputMessage.Commit commit(long lsn) {
        return new PgOutputMessage.Commit(0, new Lsn(lsn), new Lsn(lsn + 8), 0);
    }

    @Test
    void transactionsAtOrBelowTheStoredPositionAreSkippedWhole() {
        TransactionAssembler a = assembler(new Lsn(200), RowImageLookup.NONE);
        a.accept(docs(100, 'd'));
        for (long lsn : new long[] {100, 200, 300}) {
            a.accept(begin(lsn));
            a.accept(new PgOutputMessage.Insert(0, 100, tuple(lsn, "t", "b")));
            a.accept(commit(lsn));
        }
        assertThat(sink.events).containsExactly("begin 0/12C", "insert public.docs [Int[value=300]]", "commit 0/12C");
    }

    @Test
    void unchangedToastIsFilledFromTheFullOldImage() {
        TransactionAssembler a = assembler(Lsn.ZERO, RowImageLookup.NONE);
        a.accept(docs(100, 'f'));
        a.accept(begin(10));
        a.accept(new PgOutputMessage.Update(0, 100, null, tuple(1, "old", "BIG"), tuple(1, "new", TOAST)));
        a.accept(commit(10));
        Row row = ((RowChange.Update) sink.changes.getFirst()).row();
        assertThat(row.get("body")).isEqualTo(SqlValue.of("BIG"));
        assertThat(((RowChange.Update) sink.changes.getFirst()).oldKey()).as("key unchanged").isNull();
    }

    @Test
    void unchangedToastIsFilledFromAnEarlierChangeInTheSameTransaction() {
        TransactionAssembler a = assembler(Lsn.ZERO, RowImageLookup.NONE);
        String big = "x".repeat(RecentRowImages.TOASTABLE_CHARS);
        a.accept(docs(100, 'd'));
        a.accept(begin(10));
        a.accept(new PgOutputMessage.Insert(0, 100, tuple(1, "t", big)));
        a.accept(new PgOutputMessage.Update(0, 100, null, null, tuple(1, "t2", TOAST)));
        a.accept(commit(10));
        assertThat(((RowChange.Update) sink.changes.get(1)).row().get("body")).isEqualTo(SqlValue.of(big));
    }

    @Test
    void unchangedToastIsFilledFromStorageOrFailsWithATypedError() {
        SourceTable stored = new SourceTable(DOCS, 100, List.of(new SourceTable.SourceColumn("id", INT8),
                new SourceTable.SourceColumn("title", TEXT), new SourceTable.SourceColumn("body", TEXT)),
                List.of("id"), 'd');
        RowImageLookup storage = (table, key) -> key.equals(List.of(SqlValue.of(1L)))
                ? Optional.of(new Row(stored, List.of(SqlValue.of(1L), SqlValue.of("t"), SqlValue.of("STORED"))))
                : Optional.empty();
        TransactionAssembler a = assembler(Lsn.ZERO, storage);
        a.accept(docs(100, 'd'));
        a.accept(begin(10));
        a.accept(new PgOutputMessage.Update(0, 100, null, null, tuple(1, "t2", TOAST)));
        assertThat(((RowChange.Update) sink.changes.getFirst()).row().get("body")).isEqualTo(SqlValue.of("STORED"));
        assertThatThrownBy(() -> a.accept(new PgOutputMessage.Update(0, 100, null, null, tuple(2, "t2", TOAST))))
                .isInstanceOfSatisfying(CaptureException.class,
                        e -> assertThat(e.error()).isEqualTo(CaptureError.TOAST_UNRESOLVED))
                .hasMessageContaining("public.docs").hasMessageContaining("body");
    }

    @Test
    void beforeTheConsistentPointAnUpdateWithoutToastImageIsDropped() {
        // A resumed copy: the stream replays changes to rows the copy never reached (deleted later).
        TransactionAssembler a = assembler(Lsn.ZERO, RowImageLookup.NONE, new Lsn(100));
        a.accept(docs(100, 'd'));
        a.accept(begin(50));
        a.accept(new PgOutputMessage.Update(0, 100, null, null, tuple(2, "t2", TOAST)));
        a.accept(new PgOutputMessage.Delete(0, 100, tuple(2, null, null), null));
        a.accept(commit(50));
        assertThat(sink.events).containsExactly("begin 0/32", "delete public.docs [Int[value=2]]", "commit 0/32");

        a.accept(begin(100));
        assertThatThrownBy(() -> a.accept(new PgOutputMessage.Update(0, 100, null, null, tuple(2, "t2", TOAST))))
                .as("at and after the consistent point every row has its image: a missing one is an error")
                .isInstanceOfSatisfying(CaptureException.class,
                        e -> assertThat(e.error()).isEqualTo(CaptureError.TOAST_UNRESOLVED));
    }

    @Test
    void beforeTheConsistentPointAKeyChangeWithoutToastImageStillRemovesTheOldKey() {
        TransactionAssembler a = assembler(Lsn.ZERO, RowImageLookup.NONE, new Lsn(100));
        a.accept(docs(100, 'd'));
        a.accept(begin(50));
        a.accept(new PgOutputMessage.Update(0, 100, tuple(3, null, null), null, tuple(4, "t", TOAST)));
        a.accept(commit(50));
        assertThat(sink.events).containsExactly("begin 0/32", "delete public.docs [Int[value=3]]", "commit 0/32");
    }

    @Test
    void aPrimaryKeyChangeCarriesTheOldKey() {
        TransactionAssembler a = assembler(Lsn.ZERO, RowImageLookup.NONE);
        a.accept(docs(100, 'd'));
        a.accept(begin(10));
        a.accept(new PgOutputMessage.Update(0, 100, tuple(1, null, null), null, tuple(2, "t", "b")));
        RowChange.Update u = (RowChange.Update) sink.changes.getFirst();
        assertThat(u.oldKey().key()).containsExactly(SqlValue.of(1L));
        assertThat(u.row().key()).containsExactly(SqlValue.of(2L));
    }

    @Test
    void aKeyChangeFillsUnchangedToastFromTheOldKeysImage() {
        // Under REPLICA IDENTITY DEFAULT the old tuple is key-only ('K'): the body left out of the
        // new tuple is the old key's, whether stored or changed earlier in the transaction.
        SourceTable stored = new SourceTable(DOCS, 100, List.of(new SourceTable.SourceColumn("id", INT8),
                new SourceTable.SourceColumn("title", TEXT), new SourceTable.SourceColumn("body", TEXT)),
                List.of("id"), 'd');
        RowImageLookup storage = (table, key) -> Optional.of(new Row(stored,
                List.of(key.getFirst(), SqlValue.of("t"), SqlValue.of("STORED " + key.getFirst()))));
        String big = "x".repeat(RecentRowImages.TOASTABLE_CHARS);
        TransactionAssembler a = assembler(Lsn.ZERO, storage);
        a.accept(docs(100, 'd'));
        a.accept(begin(10));
        a.accept(new PgOutputMessage.Update(0, 100, tuple(1, null, null), null, tuple(2, "t", TOAST)));
        a.accept(new PgOutputMessage.Insert(0, 100, tuple(5, "t", big)));
        a.accept(new PgOutputMessage.Update(0, 100, tuple(5, null, null), null, tuple(6, "t", TOAST)));
        a.accept(new PgOutputMessage.Update(0, 100, null, null, tuple(6, "t2", TOAST)));
        a.accept(commit(10));
        RowChange.Update moved = (RowChange.Update) sink.changes.getFirst();
        assertThat(moved.oldKey().key()).containsExactly(SqlValue.of(1L));
        assertThat(moved.row().get("body")).as("from the stored image of the old key 1, not of the new key 2")
                .isEqualTo(SqlValue.of("STORED " + SqlValue.of(1L)));
        assertThat(((RowChange.Update) sink.changes.get(2)).row().get("body")).as("from the insert under key 5")
                .isEqualTo(SqlValue.of(big));
        assertThat(((RowChange.Update) sink.changes.get(3)).row().get("body")).as("the moved image is remembered")
                .isEqualTo(SqlValue.of(big));
    }

    @Test
    void aNewRelationIdForAKnownTableIsReportedAsRecreated() {
        TransactionAssembler a = assembler(Lsn.ZERO, RowImageLookup.NONE);
        a.accept(docs(100, 'd'));
        assertThat(sink.events).isEmpty();
        a.accept(docs(222, 'd'));
        assertThat(sink.events).containsExactly("recreated public.docs 100 -> 222");
    }

    @Test
    void protocolViolationsFailWithTypedErrors() {
        TransactionAssembler a = assembler(Lsn.ZERO, RowImageLookup.NONE);
        a.accept(begin(10));
        assertThatThrownBy(() -> a.accept(new PgOutputMessage.Insert(0, 999, tuple(1))))
                .isInstanceOfSatisfying(CaptureException.class, e -> assertThat(e.error()).isEqualTo(CaptureError.PROTOCOL));
        assertThatThrownBy(() -> a.accept(begin(20))).isInstanceOf(CaptureException.class);
        assertThatThrownBy(() -> a.accept(new PgOutputMessage.StreamStart(5, true))).isInstanceOf(CaptureException.class);
    }

    /** Records what the assembler hands on. */
    static final class RecordingSink implements CaptureSink {
        final List<String> events = new ArrayList<>();
        final List<RowChange> changes = new ArrayList<>();

        @Override public void open(DurableAck ack) { }
        @Override public CaptureState loadState() { return CaptureState.EMPTY; }
        @Override public void snapshotStarted(SnapshotProgress progress) { }
        @Override public void snapshotChunk(SourceTable table, List<Row> rows, SnapshotProgress progress) { }
        @Override public void begin(SourceTransaction.Begin begin) { events.add("begin " + begin.commitLsn()); }

        @Override
        public void change(RowChange change) {
            changes.add(change);
            if (change instanceof RowChange.Insert i) {
                events.add("insert " + i.tableName() + " " + i.row().key());
            } else if (change instanceof RowChange.Update u) {
                events.add("update " + u.tableName() + " " + u.row().key());
            } else if (change instanceof RowChange.Delete d) {
                events.add("delete " + d.tableName() + " " + d.key().key());
            }
        }

        @Override public void message(SourceTransaction.LogicalMessage message) { events.add("message " + message.prefix()); }
        @Override public void commit(SourceTransaction.Commit commit) { events.add("commit " + commit.commitLsn()); }

        @Override
        public void tableRecreated(TableName table, int oldRelationId, int newRelationId) {
            events.add("recreated " + table + " " + oldRelationId + " -> " + newRelationId);
        }
    }
}
