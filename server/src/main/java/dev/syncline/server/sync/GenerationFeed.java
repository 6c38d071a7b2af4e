package dev.syncline.server.sync;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link CheckpointFeed} driven by {@link #bump()}: a counter, and waiters parked until it moves.
 *
 * <p>Why not a monitor with {@code notifyAll}: with thousands of sessions, every change made all of
 * them queue to re-acquire one lock before they could even look at the counter; profiles of the
 * fan-out benchmark showed that hand-off as the largest cost of a checkpoint. Here a waiter parks
 * on its own, and a change unparks each waiter once, without any shared lock. The unparking runs
 * on a wakeup thread of the feed, not on the caller of {@link #bump()} (storage's writer thread,
 * which must return quickly whatever the number of connections).
 */
public final class GenerationFeed implements CheckpointFeed {
    private final AtomicLong generation = new AtomicLong();
    private final Set<Thread> waiters = ConcurrentHashMap.newKeySet();
    private final AtomicLong wokenUpTo = new AtomicLong();
    private volatile Thread waker;

    /** Something changed: wake every waiting session. Never blocks. */
    public void bump() {
        generation.incrementAndGet();
        if (!waiters.isEmpty()) {
            LockSupport.unpark(waker());
        }
    }

    private Thread waker() {
        Thread t = waker;
        if (t == null) {
            synchronized (this) {
                t = waker;
                if (t == null) {
                    t = Thread.ofVirtual().name("sync-feed-waker").unstarted(this::wakeLoop);
                    waker = t;
                    t.start();
                }
            }
        }
        return t;
    }

    /** Unparks every waiter once per change seen; runs for the life of the process, parked when idle. */
    private void wakeLoop() {
        while (true) {
            long g = generation.get();
            if (wokenUpTo.get() < g) {
                wokenUpTo.set(g);
                for (Thread t : waiters) {
                    LockSupport.unpark(t);
                }
            } else {
                LockSupport.park(this);
            }
        }
    }

    @Override
    public long generation() {
        return generation.get();
    }

    @Override
    public long awaitChange(long seen, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        Thread me = Thread.currentThread();
        waiters.add(me);
        try {
            // Registered before the check: a bump after it unparks this thread, so none is missed.
            while (generation.get() <= seen) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                LockSupport.parkNanos(this, left);
            }
            return generation.get();
        } finally {
            waiters.remove(me);
        }
    }
}
