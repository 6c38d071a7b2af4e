package dev.syncline.server.generation;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.WriteCheckpointStore;

import java.util.Optional;

/**
 * Write checkpoints across a generation switch: while a generation is being built, every write
 * checkpoint handed out is recorded in both generations' stores, so a client waiting for one sees
 * it come back after the switch too (positions are source positions, the same for both). One
 * handed out before the build started and still awaited after the switch is not carried over
 * (the client asks for a new one with its next upload).
 */
public final class GenerationWriteCheckpoints implements WriteCheckpointStore {
    private volatile WriteCheckpointStore active;
    private volatile WriteCheckpointStore building;

    public GenerationWriteCheckpoints(WriteCheckpointStore active) {
        this.active = active;
    }

    /** Records in {@code store} too from now on (null: stop). */
    public void building(WriteCheckpointStore store) {
        building = store;
    }

    /** The building store becomes the active one. */
    public synchronized void switchToBuilding() {
        WriteCheckpointStore b = building;
        if (b != null) {
            active = b;
            building = null;
        }
    }

    @Override
    public synchronized void record(String userId, String clientId, long value, CommitPosition position) {
        WriteCheckpointStore b = building;
        if (b != null) {
            b.record(userId, clientId, value, position);   // first: the switch may happen any moment
        }
        active.record(userId, clientId, value, position);
    }

    @Override
    public long latest(String userId, String clientId) {
        WriteCheckpointStore b = building;
        long a = active.latest(userId, clientId);
        return b == null ? a : Math.max(a, b.latest(userId, clientId));
    }

    @Override
    public Optional<Long> reached(String userId, String clientId, CommitPosition replicated) {
        return active.reached(userId, clientId, replicated);
    }
}
