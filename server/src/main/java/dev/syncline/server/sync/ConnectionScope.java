package dev.syncline.server.sync;

/**
 * What one connection may see right now: the latest committed checkpoint, the buckets its token
 * grants at that checkpoint (sync rules + parameter lookups, re-evaluated each time so revoked
 * access removes rows) and its write checkpoint.
 */
@FunctionalInterface
public interface ConnectionScope {
    /** @throws SyncException when the connection may not go on (e.g. too many buckets) */
    ConnectionCheckpoint current();
}
