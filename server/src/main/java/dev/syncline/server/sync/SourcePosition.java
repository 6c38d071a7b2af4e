package dev.syncline.server.sync;

import dev.syncline.server.storage.CommitPosition;

/** The source database as write checkpoints need it; positions in the form storage keeps them. */
public interface SourcePosition {
    /** Everything committed so far lies at or below it (for PostgreSQL, {@code pg_current_wal_lsn()}). */
    CommitPosition current();

    /**
     * Writes a logical message into the WAL so replication passes the position even when nothing
     * else is written ({@code pg_logical_emit_message}).
     */
    void emitMarker(String content);
}
