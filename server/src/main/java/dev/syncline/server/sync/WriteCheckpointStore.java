package dev.syncline.server.sync;

import dev.syncline.server.source.postgres.Lsn;

import java.util.Optional;

/**
 * Durable write-checkpoint bookkeeping per (user, client): the counter values handed out and the
 * source WAL position each was taken at (PROTOCOL.md §4). Thread-safe.
 *
 * <p>Bounded per user: only the newest few values of a client are kept (a client waits for its
 * latest), and only the {@value #MAX_CLIENTS_PER_USER} clients of a user that asked most recently
 * (newest LSN) are kept at all, so random {@code client_id}s cannot grow the store without end.
 * The client just recorded is never the one dropped. A client dropped that way starts again at 1.
 */
public interface WriteCheckpointStore {
    /** Clients per user whose write checkpoints are kept. */
    int MAX_CLIENTS_PER_USER = 64;

    /** Records that checkpoint {@code value} of (user, client) waits for replication to pass {@code lsn}; durable on return. */
    void record(String userId, String clientId, long value, Lsn lsn);

    /** The largest recorded value so far for (user, client), 0 if none. */
    long latest(String userId, String clientId);

    /** The largest value of (user, client) whose LSN is at or below {@code replicated}, if any. */
    Optional<Long> reached(String userId, String clientId, Lsn replicated);
}
