package dev.syncline.server.sync;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.WriteCheckpointStore;

import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * Read-your-writes for clients (PROTOCOL.md §4): hands out write checkpoints tied to the current
 * WAL position and tells a connection which of its checkpoints replication has passed.
 *
 * <p>Handing out is serialised (one lock, not one per client, so memory stays bounded); the
 * source position behind it is one connection anyway. Order matters: the mapping is stored before the marker message is written, so replication
 * can never pass the marker without the mapping being there to find.
 */
public final class WriteCheckpoints {

    private final WriteCheckpointStore store;
    private final SourcePosition source;
    private final CopyOnWriteArrayList<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();

    public WriteCheckpoints(WriteCheckpointStore store, SourcePosition source) {
        this.store = store;
        this.source = source;
    }

    /** {@code GET /write-checkpoint2.json}: the next value of the (user, client) counter. */
    public synchronized long create(String userId, String clientId) {
        long value = store.latest(userId, clientId) + 1;
        register(userId, clientId, value);
        return value;
    }

    /**
     * {@code POST /sync/checkpoint-request}: the client chooses increasing ids; the maximum wins
     * and is echoed back the same way.
     */
    public synchronized long request(String userId, String clientId, long requestId) {
        long value = Math.max(requestId, store.latest(userId, clientId));
        register(userId, clientId, value);
        return value;
    }

    /** The newest write checkpoint of (user, client) that replication at {@code replicated} has passed. */
    public Optional<Long> reached(String userId, String clientId, CommitPosition replicated) {
        return clientId == null ? Optional.empty() : store.reached(userId, clientId, replicated);
    }

    /**
     * The newest write checkpoint of (user, client) handed out so far, 0 if none: while replication
     * has not passed it, the connection must look at every checkpoint.
     */
    public long latest(String userId, String clientId) {
        return clientId == null ? 0 : store.latest(userId, clientId);
    }

    /**
     * Calls {@code listener} with (user, client) after each write checkpoint handed out, so that a
     * connection that skips checkpoints learns it now has one to wait for. Close to unsubscribe.
     */
    public AutoCloseable subscribe(BiConsumer<String, String> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void register(String userId, String clientId, long value) {
        CommitPosition position = source.current();
        store.record(userId, clientId, value, position);
        source.emitMarker(Long.toString(value));
        listeners.forEach(l -> l.accept(userId, clientId));
    }

}
