package dev.syncline.server.sync;

import dev.syncline.server.source.postgres.Lsn;

/** The source database as write checkpoints need it. */
public interface SourcePosition {
    /** {@code pg_current_wal_lsn()}: everything committed so far lies at or below it. */
    Lsn currentWalLsn();

    /**
     * Writes a logical message into the WAL so replication passes the position even when nothing
     * else is written ({@code pg_logical_emit_message}).
     */
    void emitMarker(String content);
}
