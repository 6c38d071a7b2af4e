package dev.syncline.server.source.postgres;

import java.util.List;

/**
 * Where captured changes go: bucket storage in the server, a plain replica in tests. Called from
 * one capture thread, in stream order.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #loadState()} returns what was durably stored, so a restart resumes without gaps
 *       or duplicates.</li>
 *   <li>{@link #snapshotChunk} stores the rows and the new progress atomically and durably
 *       before returning.</li>
 *   <li>Changes of one source transaction arrive between {@link #begin} and {@link #commit}; the
 *       sink stores a transaction (or a batch of whole transactions) atomically with its commit
 *       LSN and then calls {@link DurableAck#durableUpTo} with the commit's end LSN. Only then is
 *       that position confirmed to PostgreSQL. It may do so later (batching) but must not block
 *       forever: the replication reader keeps answering PostgreSQL meanwhile.</li>
 *   <li>Inserts are upserts (see {@link RowChange}); replays at or below the stored commit LSN
 *       are filtered out before they reach the sink.</li>
 *   <li>A non-transactional {@link #message} outside a transaction may be acknowledged at its
 *       LSN once everything before it is durable; that is how an idle source advances its slot.</li>
 * </ul>
 */
public interface CaptureSink {

    /** Called once before any other call; the sink reports durable positions through it. */
    void open(DurableAck ack);

    CaptureState loadState();

    /** A copy starts or resumes; store the progress (its {@code consistentAfter} may have moved). */
    void snapshotStarted(SnapshotProgress progress);

    /** Stores one chunk of copied rows with the progress after it, atomically and durably. */
    void snapshotChunk(SourceTable table, List<Row> rows, SnapshotProgress progress);

    void begin(SourceTransaction.Begin begin);

    void change(RowChange change);

    void message(SourceTransaction.LogicalMessage message);

    void commit(SourceTransaction.Commit commit);

    /**
     * A table's OID changed under the same name: it was dropped and re-created. Its old rows are
     * gone in the source; the new table's rows arrive as ordinary changes.
     */
    void tableRecreated(TableName table, int oldRelationId, int newRelationId);

    /**
     * The stream has nothing more queued right now (possibly in the middle of a transaction). A
     * sink that batches whole transactions commits what it holds, so batching never adds latency
     * when the source is quiet.
     */
    default void idle() {}

    /** Receives durable positions from the sink. Thread-safe. */
    @FunctionalInterface
    interface DurableAck {
        /** Everything up to and including {@code lsn} is durably stored. */
        void durableUpTo(Lsn lsn);
    }
}
