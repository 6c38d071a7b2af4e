package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hand-written {@link CaptureSink} for tests: a plain replica (table → key → row) whose
 * "durable" state survives a capture restart because the test keeps the object. With
 * {@link #crashBeforeAck} it behaves like a consumer that dies after receiving transactions but
 * before storing them: those transactions are recorded but never applied nor acknowledged.
 */
final class ReplicaSink implements CaptureSink, RowImageLookup {
    private final Map<TableName, Map<List<SqlValue>, Row>> tables = new TreeMap<>();
    private final List<SourceTransaction.Commit> appliedCommits = Collections.synchronizedList(new ArrayList<>());
    private final List<SourceTransaction.Commit> droppedCommits = Collections.synchronizedList(new ArrayList<>());
    private final List<SourceTransaction.LogicalMessage> messages = Collections.synchronizedList(new ArrayList<>());
    private final List<String> recreated = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger chunks = new AtomicInteger();
    private volatile CaptureState state = CaptureState.EMPTY;
    private DurableAck ack;
    private List<RowChange> pending = new ArrayList<>();
    private boolean inTransaction;
    volatile boolean crashBeforeAck;
    /** Throws after this many stored chunks, to simulate a crash mid-snapshot; -1 = never. */
    volatile int failAfterChunks = -1;

    @Override
    public synchronized void open(DurableAck ack) {
        this.ack = ack;
    }

    @Override
    public CaptureState loadState() {
        return state;
    }

    @Override
    public synchronized void snapshotStarted(SnapshotProgress progress) {
        state = new CaptureState(progress, state.storedCommitLsn());
    }

    @Override
    public synchronized void snapshotChunk(SourceTable table, List<Row> rows, SnapshotProgress progress) {
        if (failAfterChunks >= 0 && chunks.get() >= failAfterChunks) {
            throw new IllegalStateException("simulated crash after " + chunks.get() + " chunks");
        }
        Map<List<SqlValue>, Row> t = tables.computeIfAbsent(table.name(), n -> new HashMap<>());
        for (Row row : rows) {
            if (t.put(row.key(), row) != null) {
                throw new AssertionError("snapshot copied row " + row.key() + " of " + table.name() + " twice");
            }
        }
        chunks.incrementAndGet();
        state = new CaptureState(progress, state.storedCommitLsn());
    }

    @Override
    public synchronized void begin(SourceTransaction.Begin begin) {
        if (inTransaction) {
            throw new AssertionError("nested begin");
        }
        inTransaction = true;
        pending = new ArrayList<>();
    }

    @Override
    public synchronized void change(RowChange change) {
        if (!inTransaction) {
            throw new AssertionError("change outside a transaction: " + change);
        }
        pending.add(change);
    }

    @Override
    public synchronized void message(SourceTransaction.LogicalMessage message) {
        messages.add(message);
        if (!message.transactional() && !inTransaction && !crashBeforeAck) {
            ack.durableUpTo(message.lsn());
        }
    }

    @Override
    public synchronized void commit(SourceTransaction.Commit commit) {
        inTransaction = false;
        if (crashBeforeAck) {
            droppedCommits.add(commit);
            return;
        }
        for (RowChange change : pending) {
            apply(change);
        }
        pending = new ArrayList<>();
        appliedCommits.add(commit);
        state = new CaptureState(state.snapshot(), commit.commitLsn());
        ack.durableUpTo(commit.endLsn());
    }

    private void apply(RowChange change) {
        switch (change) {
            case RowChange.Insert i -> table(i.tableName()).put(i.row().key(), i.row());
            case RowChange.Update u -> {
                if (u.oldKey() != null) {
                    table(u.tableName()).remove(u.oldKey().key());
                }
                table(u.tableName()).put(u.row().key(), u.row());
            }
            case RowChange.Delete d -> table(d.tableName()).remove(d.key().key());
            case RowChange.Truncate t -> t.tables().forEach(n -> table(n).clear());
        }
    }

    private Map<List<SqlValue>, Row> table(TableName name) {
        return tables.computeIfAbsent(name, n -> new HashMap<>());
    }

    @Override
    public synchronized void tableRecreated(TableName table, int oldRelationId, int newRelationId) {
        recreated.add(table + ":" + oldRelationId + "->" + newRelationId);
        table(table).clear();
    }

    @Override
    public synchronized Optional<Row> lastImage(TableName table, List<SqlValue> key) {
        return Optional.ofNullable(table(table).get(key));
    }

    /** Rows of a table as column → value maps, keyed by primary key. */
    synchronized Map<List<SqlValue>, Map<String, SqlValue>> rows(TableName table) {
        Map<List<SqlValue>, Map<String, SqlValue>> out = new HashMap<>();
        table(table).forEach((k, r) -> out.put(k, r.asMap()));
        return out;
    }

    synchronized Row row(TableName table, List<SqlValue> key) {
        return table(table).get(key);
    }

    List<SourceTransaction.Commit> appliedCommits() { return List.copyOf(appliedCommits); }
    List<SourceTransaction.Commit> droppedCommits() { return List.copyOf(droppedCommits); }
    List<SourceTransaction.LogicalMessage> messages() { return List.copyOf(messages); }
    List<String> recreated() { return List.copyOf(recreated); }
}
