package dev.syncline.server.storage;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The replicator's claim to write, checked by a SQL storage backend inside every write
 * transaction just before it commits, on the writer's own connection. Several nodes may open one
 * PostgreSQL storage, and exactly one of them (the holder of the replicator lease) may write: a
 * node that lost the lease (its connection cut, a partition) must not commit after another took
 * over, even before it notices. The check runs in the transaction, so either it commits before the
 * takeover becomes visible, or it sees the takeover and fails with {@code SYNC_D1301}.
 *
 * <p>{@link #NONE} is the single-node fence (SQLite storage is guarded by its lock file instead).
 */
@FunctionalInterface
public interface WriterFence {
    WriterFence NONE = writer -> { };

    /**
     * Throws {@link StorageException} ({@code SYNC_D1301}) when this node no longer holds the right to
     * write; the caller rolls back. Runs inside {@code writer}'s open transaction.
     */
    void check(Connection writer) throws SQLException;
}
