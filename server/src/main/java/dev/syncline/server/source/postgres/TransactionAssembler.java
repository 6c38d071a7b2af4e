package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage;
import dev.syncline.server.source.postgres.pgoutput.TupleData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns decoded pgoutput messages into typed transactions for a {@link CaptureSink}: keeps the
 * relation cache, maps values, fills unchanged TOAST values, detects primary-key changes and
 * re-created tables, and drops transactions the sink already stored (replay after a crash).
 *
 * <p>Nothing is buffered per transaction, so a transaction of any size passes in bounded memory.
 * Not thread-safe: one capture thread feeds it in stream order.
 */
public final class TransactionAssembler {
    private static final Logger log = LoggerFactory.getLogger(TransactionAssembler.class);

    private final CaptureSink sink;
    private final RowMapper rowMapper;
    private final Function<TableName, List<String>> primaryKeyOf;
    private final RowImageLookup storedImages;
    private final RecentRowImages recentImages;
    private final Map<Integer, SourceTable> relations = new HashMap<>();
    private final Map<TableName, Integer> relationIdByName = new HashMap<>();
    private final Lsn consistentAfter;
    private Lsn skipThrough;
    private PgOutputMessage.Begin current;
    private boolean skipping;

    /**
     * @param primaryKeyOf catalog lookup of a table's primary key, used when the replica identity
     *                     (FULL, INDEX) does not name it
     * @param knownRelationIds OIDs of the tables as copied, to detect a dropped and re-created table
     * @param skipThrough transactions with a commit LSN at or below this were stored already
     * @param consistentAfter the snapshot's consistent point ({@link SnapshotProgress#consistentAfter}):
     *                        in a transaction that commits before it, an UPDATE whose unchanged TOAST
     *                        values have no known image is dropped instead of failing (see
     *                        {@link #update}); {@link Lsn#ZERO} if there is no such window
     * @param maxPendingBytes {@code capture.max_pending_bytes}: recent row images are kept up to half
     *                        of it (32 MiB by default), so a smaller budget for a small heap shrinks them too
     */
    public TransactionAssembler(CaptureSink sink, RowMapper rowMapper, Function<TableName, List<String>> primaryKeyOf,
                                RowImageLookup storedImages, Map<TableName, Integer> knownRelationIds,
                                Lsn skipThrough, Lsn consistentAfter, long maxPendingBytes) {
        this.sink = sink;
        this.recentImages = new RecentRowImages(10_000, maxPendingBytes / 2);
        this.consistentAfter = consistentAfter == null ? Lsn.ZERO : consistentAfter;
        this.rowMapper = rowMapper;
        this.primaryKeyOf = primaryKeyOf;
        this.storedImages = storedImages;
        this.relationIdByName.putAll(knownRelationIds);
        this.skipThrough = skipThrough;
    }

    public boolean inTransaction() {
        return current != null;
    }

    public void accept(PgOutputMessage message) {
        switch (message) {
            case PgOutputMessage.Begin b -> begin(b);
            case PgOutputMessage.Commit c -> commit(c);
            case PgOutputMessage.Relation r -> relation(r);
            case PgOutputMessage.Insert i -> {
                if (!skipping) {
                    SourceTable table = table(i.relationId());
                    Row row = toRow(table, i.newTuple(), null);
                    recentImages.remember(row);
                    sink.change(new RowChange.Insert(row));
                }
            }
            case PgOutputMessage.Update u -> {
                if (!skipping) {
                    update(u);
                }
            }
            case PgOutputMessage.Delete d -> {
                if (!skipping) {
                    SourceTable table = table(d.relationId());
                    Row key = toRow(table, d.oldTuple() != null ? d.oldTuple() : d.oldKey(), null);
                    recentImages.forget(table.name(), key.key());
                    sink.change(new RowChange.Delete(key));
                }
            }
            case PgOutputMessage.Truncate t -> {
                if (!skipping) {
                    List<TableName> names = new ArrayList<>();
                    for (int id : t.relationIds()) {
                        TableName name = table(id).name();
                        recentImages.forgetTable(name);
                        names.add(name);
                    }
                    sink.change(new RowChange.Truncate(names));
                }
            }
            case PgOutputMessage.Message m -> message(m);
            case PgOutputMessage.Type ignored -> { } // unknown types are resolved from the catalog on first use
            case PgOutputMessage.Origin o -> log.debug("transaction from origin {}", o.name());
            case PgOutputMessage.StreamStart s -> unexpected(s);
            case PgOutputMessage.StreamStop s -> unexpected(s);
            case PgOutputMessage.StreamCommit s -> unexpected(s);
            case PgOutputMessage.StreamAbort s -> unexpected(s);
        }
    }

    private void begin(PgOutputMessage.Begin b) {
        if (current != null) {
            throw new CaptureException(CaptureError.PROTOCOL, "BEGIN " + b.xid() + " inside transaction " + current.xid());
        }
        current = b;
        skipping = b.finalLsn().isAtOrBefore(skipThrough);
        if (skipping) {
            log.debug("skipping transaction {} at {}: already stored (through {})", b.xid(), b.finalLsn(), skipThrough);
        } else {
            sink.begin(new SourceTransaction.Begin(b.xid(), b.finalLsn(), b.commitTime()));
        }
    }

    private void commit(PgOutputMessage.Commit c) {
        if (current == null) {
            throw new CaptureException(CaptureError.PROTOCOL, "COMMIT at " + c.commitLsn() + " without BEGIN");
        }
        if (!skipping) {
            sink.commit(new SourceTransaction.Commit(current.xid(), c.commitLsn(), c.endLsn(), c.commitTime()));
            skipThrough = Lsn.max(skipThrough, c.commitLsn());
        }
        current = null;
        skipping = false;
    }

    private void message(PgOutputMessage.Message m) {
        if (m.transactional() && skipping) {
            return;
        }
        if (!m.transactional() && current == null && m.lsn().isAtOrBefore(skipThrough)) {
            return;
        }
        sink.message(new SourceTransaction.LogicalMessage(m.lsn(), m.transactional(), m.prefix(), m.content()));
    }

    private void relation(PgOutputMessage.Relation r) {
        TableName name = new TableName(r.namespace(), r.name());
        List<SourceTable.SourceColumn> columns = new ArrayList<>(r.columns().size());
        List<String> identity = new ArrayList<>();
        for (PgOutputMessage.Relation.Column c : r.columns()) {
            columns.add(new SourceTable.SourceColumn(c.name(), c.typeOid()));
            if (c.partOfKey()) {
                identity.add(c.name());
            }
        }
        List<String> key = r.replicaIdentity() == 'd' && !identity.isEmpty() ? identity : primaryKeyOf.apply(name);
        SourceTable table = new SourceTable(name, r.relationId(), columns, key, r.replicaIdentity());
        SourceTable previous = relations.put(r.relationId(), table);
        Integer knownId = relationIdByName.put(name, r.relationId());
        if (knownId != null && knownId != r.relationId()) {
            log.warn("table {} was dropped and re-created (relation id {} → {})", name,
                    Integer.toUnsignedString(knownId), Integer.toUnsignedString(r.relationId()));
            relations.remove(knownId);
            recentImages.forgetTable(name);
            sink.tableRecreated(name, knownId, r.relationId());
        } else if (previous != null && !previous.columns().equals(table.columns())) {
            log.info("table {} changed shape: {} → {}", name, previous.columnNames(), table.columnNames());
        }
    }

    private void update(PgOutputMessage.Update u) {
        SourceTable table = table(u.relationId());
        TupleData oldTuple = u.oldTuple() != null ? u.oldTuple() : u.oldKey();
        Row old = oldTuple == null ? null : toRow(table, oldTuple, null);
        Mapped mapped = map(table, u.newTuple());
        Row row = mapped.row();
        Row oldKey = old != null && !old.key().equals(row.key()) ? old : null;
        if (!mapped.unchanged().isEmpty()) {
            Optional<Row> filled = fillUnchangedToast(row, mapped.unchanged(), old);
            if (filled.isEmpty() && beforeConsistentPoint()) {
                // A resumed copy: the stream replays from the first snapshot's point, so it carries
                // changes to rows the copy had not reached. A row with no image there was not copied
                // and not inserted since, so it is deleted later in the stream, or the resumed copy
                // (taken at the consistent point) copies its newer state. Either way this image is
                // superseded; only a changed key's old row (if stored) must go.
                log.debug("dropping UPDATE of {} key {} before the consistent point {}: no image for its "
                        + "unchanged TOAST values", table.name(), row.key(), consistentAfter);
                if (oldKey != null) {
                    recentImages.forget(table.name(), oldKey.key());
                    sink.change(new RowChange.Delete(oldKey));
                }
                return;
            }
            row = filled.orElseThrow(() -> unresolved(mapped.row(), mapped.unchanged()));
        }
        if (oldKey != null) {
            recentImages.forget(table.name(), old.key());
        }
        recentImages.remember(row);
        sink.change(new RowChange.Update(oldKey, row));
    }

    /** True inside a transaction that commits before the snapshot's consistent point. */
    private boolean beforeConsistentPoint() {
        return current != null && current.finalLsn().compareTo(consistentAfter) < 0;
    }

    private SourceTable table(int relationId) {
        SourceTable table = relations.get(relationId);
        if (table == null) {
            throw new CaptureException(CaptureError.PROTOCOL, "change for relation " + Integer.toUnsignedString(relationId)
                    + " before its RELATION message");
        }
        return table;
    }

    /** Maps a tuple; 'u' (unchanged TOAST) columns come from {@code old}, recent images or storage. */
    private Row toRow(SourceTable table, TupleData tuple, Row old) {
        Mapped mapped = map(table, tuple);
        if (mapped.unchanged().isEmpty()) {
            return mapped.row();
        }
        return fillUnchangedToast(mapped.row(), mapped.unchanged(), old)
                .orElseThrow(() -> unresolved(mapped.row(), mapped.unchanged()));
    }

    /** A mapped tuple with NULL in its unchanged TOAST columns, listed in {@code unchanged}. */
    private record Mapped(Row row, List<Integer> unchanged) {}

    private Mapped map(SourceTable table, TupleData tuple) {
        List<TupleData.ColumnValue> columns = tuple.columns();
        if (columns.size() != table.columns().size()) {
            throw new CaptureException(CaptureError.PROTOCOL, "tuple of " + table.name() + " has " + columns.size()
                    + " columns, relation has " + table.columns().size());
        }
        List<SqlValue> values = new ArrayList<>(columns.size());
        List<Integer> unchanged = List.of();
        for (int i = 0; i < columns.size(); i++) {
            switch (columns.get(i)) {
                case TupleData.ColumnValue.Null n -> values.add(SqlValue.nullValue());
                case TupleData.ColumnValue.Text t -> values.add(rowMapper.map(table, i, t.asString()));
                case TupleData.ColumnValue.Binary b -> throw new CaptureException(CaptureError.PROTOCOL,
                        "binary tuple value in " + table.name() + "; Syncline does not request binary mode");
                case TupleData.ColumnValue.UnchangedToast u -> {
                    values.add(SqlValue.nullValue());
                    if (unchanged.isEmpty()) {
                        unchanged = new ArrayList<>();
                    }
                    unchanged.add(i);
                }
            }
        }
        return new Mapped(new Row(table, values), unchanged);
    }

    /**
     * The row with its unchanged TOAST values filled in, or empty if no previous image is known.
     * The previous image is the one under the old key when the change carries it: an UPDATE that
     * changed the primary key leaves its unchanged values in the row stored under the old key, and
     * under the new key there is nothing, or a row deleted earlier in this transaction.
     */
    private Optional<Row> fillUnchangedToast(Row row, List<Integer> unchanged, Row old) {
        if (old != null && carriesAllValues(old)) {
            return Optional.of(fill(row, unchanged, old));
        }
        List<SqlValue> key = old != null && carriesKey(old) ? old.key() : row.key();
        Optional<Row> source = recentImages.get(row.table().name(), key);
        if (source.isEmpty()) {
            source = storedImages.lastImage(row.table().name(), key);
        }
        return source.map(previous -> fill(row, unchanged, previous));
    }

    private static Row fill(Row row, List<Integer> unchanged, Row previous) {
        List<SqlValue> values = new ArrayList<>(row.values());
        for (int i : unchanged) {
            String column = row.table().columns().get(i).name();
            int from = previous.table().columnIndex(column);
            if (from < 0) {
                throw new CaptureException(CaptureError.TOAST_UNRESOLVED, "table " + row.table().name()
                        + ": previous image has no column " + column);
            }
            values.set(i, previous.values().get(from));
        }
        return new Row(row.table(), values);
    }

    private static CaptureException unresolved(Row row, List<Integer> unchanged) {
        return new CaptureException(CaptureError.TOAST_UNRESOLVED, "table " + row.table().name() + ", key "
                + row.key() + ", columns " + unchanged.stream().map(i -> row.table().columns().get(i).name()).toList());
    }

    /**
     * False for an old key of REPLICA IDENTITY USING INDEX whose index leaves out a primary-key
     * column (NULL there): then the primary key did not identify the old row and the new one's is used.
     */
    private static boolean carriesKey(Row old) {
        return old.key().stream().noneMatch(v -> v instanceof SqlValue.Null);
    }

    private static boolean carriesAllValues(Row old) {
        // A FULL old image carries every value; a key-only image has NULL in the TOAST columns.
        return old.table().replicaIdentity() == 'f';
    }

    private static void unexpected(PgOutputMessage m) {
        throw new CaptureException(CaptureError.PROTOCOL, "streamed-transaction message " + m.getClass().getSimpleName()
                + " although streaming was not requested");
    }

}
