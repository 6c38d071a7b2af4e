package dev.syncline.server.storage;

import java.util.Optional;

/**
 * Durable write-checkpoint bookkeeping per (user, client): the counter values handed out and the
 * source position each was taken at (PROTOCOL.md §4). Part of {@link BucketStorage}
 * ({@link BucketStorage#writeCheckpoints()}), so every node reading that storage sees the same
 * write checkpoints.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Thread-safe; called from request threads, independent of the bucket writer.</li>
 *   <li>{@link #record} is durable when it returns: after a restart (or on another node of the
 *       same storage) {@link #latest} and {@link #reached} still see it.</li>
 *   <li>Only the newest values per (user, client) need to be kept (at least the newest 16): a
 *       client waits for its latest write checkpoint.</li>
 *   <li>Bounded per user: only the {@value #MAX_CLIENTS_PER_USER} clients of a user that asked
 *       most recently (newest position) are kept at all, so random {@code client_id}s cannot grow
 *       the store without end. The client just recorded is never the one dropped; a client dropped
 *       that way starts again at 1.</li>
 * </ul>
 */
public interface WriteCheckpointStore {
    /** Clients per user whose write checkpoints are kept. */
    int MAX_CLIENTS_PER_USER = 64;

    /** Records that checkpoint {@code value} of (user, client) waits for replication to pass {@code position}; durable on return. */
    void record(String userId, String clientId, long value, CommitPosition position);

    /** The largest recorded value so far for (user, client), 0 if none. */
    long latest(String userId, String clientId);

    /** The largest value of (user, client) whose position is at or below {@code replicated}, if any. */
    Optional<Long> reached(String userId, String clientId, CommitPosition replicated);

    /**
     * Calls {@code listener} with (user, client) when another process (another node of a shared
     * storage) recorded a write checkpoint, so a connection of that client on this node learns it
     * has one to wait for; both null when which client is not known (any may have). Close the result
     * to unsubscribe. The default suits storage only one process uses: never called.
     */
    default AutoCloseable subscribeRecordedElsewhere(java.util.function.BiConsumer<String, String> listener) {
        return () -> { };
    }
}
