package dev.syncline.server.storage;

import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Announces new checkpoints without polling.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>A listener is called once per checkpoint committed after it subscribed, in commit order,
 *       only after the commit is durable and visible to new {@link ReadView}s.</li>
 *   <li>Listeners run on the writer's thread and must return quickly (hand off, never block); an
 *       exception from one is logged and does not affect the writer or other listeners. A storage
 *       several processes share (PostgreSQL) also announces the checkpoints another process
 *       committed, on its listening thread, once each and in order with this process's own.</li>
 *   <li>Thread-safe.</li>
 * </ul>
 */
public interface CheckpointNotifier {

    /** The latest committed checkpoint, if any. */
    Optional<Checkpoint> latest();

    /** Subscribes; close the result to unsubscribe. */
    AutoCloseable subscribe(Consumer<Checkpoint> listener);

    /**
     * Subscribes to checkpoints together with what each changed since the one announced before it
     * (same contract as {@link #subscribe}). The default, for backends that do not track changes,
     * reports {@link CheckpointChanges#UNKNOWN} every time.
     */
    default AutoCloseable subscribeWithChanges(BiConsumer<Checkpoint, CheckpointChanges> listener) {
        return subscribe(checkpoint -> listener.accept(checkpoint, CheckpointChanges.UNKNOWN));
    }
}
