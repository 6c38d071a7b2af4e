package dev.syncline.server.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** A {@link CheckpointNotifier} that backends feed after each durable commit. */
public final class CheckpointListeners implements CheckpointNotifier {
    private static final Logger log = LoggerFactory.getLogger(CheckpointListeners.class);

    private final CopyOnWriteArrayList<BiConsumer<Checkpoint, CheckpointChanges>> listeners = new CopyOnWriteArrayList<>();
    private volatile Checkpoint latest;

    public CheckpointListeners(Checkpoint initial) {
        this.latest = initial;
    }

    @Override
    public Optional<Checkpoint> latest() {
        return Optional.ofNullable(latest);
    }

    @Override
    public AutoCloseable subscribe(Consumer<Checkpoint> listener) {
        return subscribeWithChanges((checkpoint, changes) -> listener.accept(checkpoint));
    }

    @Override
    public AutoCloseable subscribeWithChanges(BiConsumer<Checkpoint, CheckpointChanges> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** As {@link #announce(Checkpoint, CheckpointChanges)}, for a backend that does not know what changed. */
    public void announce(Checkpoint checkpoint) {
        announce(checkpoint, CheckpointChanges.UNKNOWN);
    }

    /**
     * For a checkpoint another process committed to shared storage (learnt by notification or by
     * polling): announced only when past the latest announced one, so a checkpoint heard twice — by
     * this process's own writer and by notification — or late is announced once, in order.
     *
     * @return whether it was announced
     */
    public synchronized boolean announceIfNewer(Checkpoint checkpoint, CheckpointChanges changes) {
        Checkpoint l = latest;
        if (l != null && (checkpoint.lastOpId().value() < l.lastOpId().value()
                || (checkpoint.lastOpId().value() == l.lastOpId().value()
                    && checkpoint.position().value() <= l.position().value()))) {
            return false;
        }
        announce(checkpoint, changes);
        return true;
    }

    /** Called by the backend once {@code checkpoint} is durable and visible to readers. */
    public synchronized void announce(Checkpoint checkpoint, CheckpointChanges changes) {
        latest = checkpoint;
        for (BiConsumer<Checkpoint, CheckpointChanges> l : listeners) {
            try {
                l.accept(checkpoint, changes);
            } catch (RuntimeException e) {
                log.warn("checkpoint listener failed on {}: {}", checkpoint, e.toString(), e);
            }
        }
    }
}
