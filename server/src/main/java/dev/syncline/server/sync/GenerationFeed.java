package dev.syncline.server.sync;

import java.time.Duration;

/**
 * A {@link CheckpointFeed} driven by {@link #bump()}: a counter and a monitor. Bumping is cheap and
 * never blocks (storage calls it on its writer thread); every waiter wakes once per bump.
 */
public final class GenerationFeed implements CheckpointFeed {
    private long generation;

    /** Something changed: wake every waiting session. */
    public synchronized void bump() {
        generation++;
        notifyAll();
    }

    @Override
    public synchronized long generation() {
        return generation;
    }

    @Override
    public synchronized long awaitChange(long seen, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (generation <= seen) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return generation;
    }
}
