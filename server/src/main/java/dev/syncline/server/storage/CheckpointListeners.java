package dev.syncline.server.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A {@link CheckpointNotifier} that backends feed after each durable commit. */
public final class CheckpointListeners implements CheckpointNotifier {
    private static final Logger log = LoggerFactory.getLogger(CheckpointListeners.class);

    private final CopyOnWriteArrayList<Consumer<Checkpoint>> listeners = new CopyOnWriteArrayList<>();
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
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Called by the backend once {@code checkpoint} is durable and visible to readers. */
    public void announce(Checkpoint checkpoint) {
        latest = checkpoint;
        for (Consumer<Checkpoint> l : listeners) {
            try {
                l.accept(checkpoint);
            } catch (RuntimeException e) {
                log.warn("checkpoint listener failed on {}: {}", checkpoint, e.toString(), e);
            }
        }
    }
}
