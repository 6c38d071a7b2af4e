package dev.syncline.server.source.postgres;

import java.time.Instant;

/** Boundaries of a committed source transaction, as handed to a {@link CaptureSink}. */
public final class SourceTransaction {
    private SourceTransaction() {}

    /** @param commitLsn LSN of the commit record; identifies the transaction's place in the stream */
    public record Begin(long xid, Lsn commitLsn, Instant commitTime) {}

    /**
     * @param endLsn the position to confirm to PostgreSQL once this transaction (and everything
     *               before it) is durable
     */
    public record Commit(long xid, Lsn commitLsn, Lsn endLsn, Instant commitTime) {}

    /**
     * A logical decoding message ({@code pg_logical_emit_message}). Non-transactional ones arrive
     * outside Begin/Commit; Syncline uses them as heartbeats and write-checkpoint markers.
     */
    public record LogicalMessage(Lsn lsn, boolean transactional, String prefix, byte[] content) {}
}
