package dev.syncline.server.sync;

import dev.syncline.server.storage.CommitPosition;

import java.util.Optional;

/**
 * Durable write-checkpoint bookkeeping per (user, client): the counter values handed out and the
 * source position each was taken at (PROTOCOL.md §4). Thread-safe.
 */
public interface WriteCheckpointStore {
    /** Records that checkpoint {@code value} of (user, client) waits for replication to pass {@code position}; durable on return. */
    void record(String userId, String clientId, long value, CommitPosition position);

    /** The largest recorded value so far for (user, client), 0 if none. */
    long latest(String userId, String clientId);

    /** The largest value of (user, client) whose position is at or below {@code replicated}, if any. */
    Optional<Long> reached(String userId, String clientId, CommitPosition replicated);
}
