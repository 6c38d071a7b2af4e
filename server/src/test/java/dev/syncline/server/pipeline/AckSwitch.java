package dev.syncline.server.pipeline;

import dev.syncline.server.source.postgres.CaptureSink;
import dev.syncline.server.source.postgres.CaptureState;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.SourceTable;
import dev.syncline.server.source.postgres.SourceTransaction;
import dev.syncline.server.source.postgres.TableName;

import java.util.List;
import java.util.function.Consumer;

/**
 * Passes everything through to a sink and watches its acknowledgements: it can swallow them, as
 * if the server died each time right after the storage commit and before PostgreSQL heard about
 * it, and it tells {@link #onDurable} about every durable position (benchmarks stop the clock there).
 */
public final class AckSwitch implements CaptureSink {
    private final CaptureSink sink;
    public volatile boolean dropAcks;
    public volatile Consumer<Lsn> onDurable = lsn -> { };
    /** When not negative: this many snapshot chunks are stored, then the next fails, as if the server died mid-copy. */
    public volatile int chunksBeforeCrash = -1;

    public AckSwitch(CaptureSink sink) {
        this.sink = sink;
    }

    @Override
    public void open(DurableAck ack) {
        sink.open(lsn -> {
            if (!dropAcks) {
                ack.durableUpTo(lsn);
            }
            onDurable.accept(lsn);
        });
    }

    @Override public CaptureState loadState() { return sink.loadState(); }
    @Override public void snapshotStarted(SnapshotProgress progress) { sink.snapshotStarted(progress); }
    @Override public void snapshotChunk(SourceTable table, List<Row> rows, SnapshotProgress progress) {
        if (chunksBeforeCrash == 0) {
            throw new IllegalStateException("simulated crash in the middle of the initial copy");
        }
        if (chunksBeforeCrash > 0) {
            chunksBeforeCrash--;
        }
        sink.snapshotChunk(table, rows, progress);
    }
    @Override public void begin(SourceTransaction.Begin begin) { sink.begin(begin); }
    @Override public void change(RowChange change) { sink.change(change); }
    @Override public void message(SourceTransaction.LogicalMessage message) { sink.message(message); }
    @Override public void commit(SourceTransaction.Commit commit) { sink.commit(commit); }
    @Override public void tableRecreated(TableName table, int oldRelationId, int newRelationId) {
        sink.tableRecreated(table, oldRelationId, newRelationId);
    }
    @Override public void idle() { sink.idle(); }
}
