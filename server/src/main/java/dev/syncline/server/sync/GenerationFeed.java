package dev.syncline.server.sync;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link CheckpointFeed} that knows what each change touched: a counter, a bounded log of the
 * recent changes' topics (see {@link Interest}), and an index from topic to the sessions that
 * depend on it.
 *
 * <p>Why: with a thousand sessions, waking all of them at every checkpoint (and each re-evaluating
 * its sync rules) was most of the fan-out cost, though a checkpoint usually changes the buckets of
 * a few users only. Here a change unparks only the sessions indexed under one of its topics, plus
 * those that asked for every change; a change whose topics are unknown wakes everyone. A session
 * checks the log itself before it parks, so a change published while it was busy is never missed.
 *
 * <p>Why no shared lock on the wake path: with a monitor and {@code notifyAll}, every change made
 * all sessions queue to re-acquire one lock. Waiters park on their own; the unparking runs on a
 * wakeup thread of the feed, not on the publisher (storage's writer thread, which must return
 * quickly whatever the number of connections).
 *
 * <p>Memory: the log keeps the last {@value #LOG_SIZE} changes holding at most
 * {@value #MAX_LOGGED_TOPICS} topics together (a change that does not fit is logged as
 * "anything", so a burst of large checkpoints degrades to waking everyone); a session is indexed under at most
 * {@value #MAX_INDEXED_TOPICS} topics (with more it is woken by every change and filters itself).
 * A session that falls more than {@value #LOG_SIZE} changes behind simply re-evaluates.
 */
public final class GenerationFeed implements CheckpointFeed {
    static final int LOG_SIZE = 4096;
    static final int MAX_LOGGED_TOPICS = 65_536;
    static final int MAX_INDEXED_TOPICS = 64;

    /** One logged change; {@code topics} null means anything may have changed. */
    private record Change(long generation, Set<String> topics) {}

    private final AtomicLong generation = new AtomicLong();
    private final AtomicReferenceArray<Change> log = new AtomicReferenceArray<>(LOG_SIZE);
    /** Topics held by the entries now in the log; guarded by the log's monitor. */
    private long loggedTopics;
    private final ConcurrentHashMap<String, Set<Watcher>> byTopic = new ConcurrentHashMap<>();
    private final Set<Watcher> everyChange = ConcurrentHashMap.newKeySet();
    private final Set<Watcher> all = ConcurrentHashMap.newKeySet();
    private final AtomicLong wokenUpTo = new AtomicLong();
    private volatile Thread waker;
    private volatile boolean closed;
    private static final Logger logger = LoggerFactory.getLogger(GenerationFeed.class);

    /** Something changed, and what is not known: wake every session. Never blocks. */
    public void bump() {
        publish(null);
    }

    /** Something changed in {@code topics} (null: unknown, anything may have). Never blocks for long. */
    public void publish(Set<String> topics) {
        Set<String> copy = topics == null || topics.size() > MAX_LOGGED_TOPICS ? null : Set.copyOf(topics);
        synchronized (log) {
            long g = generation.get() + 1;
            Change replaced = log.get(slot(g));
            if (replaced != null && replaced.topics != null) {
                loggedTopics -= replaced.topics.size();
            }
            Set<String> logged = copy != null && loggedTopics + copy.size() <= MAX_LOGGED_TOPICS ? copy : null;
            if (logged != null) {
                loggedTopics += logged.size();
            }
            log.set(slot(g), new Change(g, logged));
            generation.set(g);
        }
        if (!all.isEmpty()) {
            LockSupport.unpark(waker());
        }
    }

    private static int slot(long generation) {
        return (int) (generation & (LOG_SIZE - 1));
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

    /**
     * Unparks the sessions each change concerns; runs until {@link #close}, parked when idle. A
     * failure in one pass wakes every session (each then checks the log itself) instead of ending
     * the loop, which would leave sessions to notice changes only at their keepalive timeout.
     */
    private void wakeLoop() {
        while (!closed) {
            long g = generation.get();
            long from = wokenUpTo.get();
            if (from >= g) {
                LockSupport.park(this);
                continue;
            }
            try {
                boolean everyone = g - from > LOG_SIZE;
                for (long x = from + 1; x <= g && !everyone; x++) {
                    Change c = log.get(slot(x));
                    if (c == null || c.generation != x || c.topics == null) {
                        everyone = true;
                    } else {
                        for (String topic : c.topics) {
                            Set<Watcher> ws = byTopic.get(topic);
                            if (ws != null) {
                                ws.forEach(Watcher::wake);
                            }
                        }
                    }
                }
                (everyone ? all : everyChange).forEach(Watcher::wake);
            } catch (RuntimeException | Error e) {
                logger.warn("waking sync sessions for changes {}..{} failed; waking every session instead", from + 1, g, e);
                all.forEach(Watcher::wake);
            }
            wokenUpTo.set(g);
        }
    }

    /** Stops the waker thread; sessions still parked then notice changes at their keepalive timeout. */
    public void close() {
        closed = true;
        Thread t = waker;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public long generation() {
        return generation.get();
    }

    @Override
    public long awaitChange(long seen, Duration timeout) throws InterruptedException {
        try (Watch w = watch()) {
            // A new watch is interested in everything, so any change after seen ends the wait.
            return w.await(seen, timeout).generation();
        }
    }

    @Override
    public Watch watch() {
        Watcher w = new Watcher();
        all.add(w);
        everyChange.add(w);
        return w;
    }

    /** Whether any change in ({@code seen}, {@code upTo}] may matter to {@code interest}. */
    private boolean relevant(long seen, long upTo, Interest interest) {
        if (upTo - seen > LOG_SIZE) {
            return true;
        }
        for (long x = seen + 1; x <= upTo; x++) {
            Change c = log.get(slot(x));
            if (c == null || c.generation != x || interest.matches(c.topics)) {
                return true;
            }
        }
        return false;
    }

    private final class Watcher implements Watch {
        private volatile Thread waiting;
        private Interest interest = Interest.EVERYTHING;
        /** Topics this watcher is indexed under (empty while it is in {@link #everyChange}). */
        private Set<String> indexed = Set.of();

        void wake() {
            Thread t = waiting;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        @Override
        public void interest(Interest next) {
            interest = next;
            boolean wide = next.everyCheckpoint() || next.topics().size() > MAX_INDEXED_TOPICS;
            Set<String> wanted = wide ? Set.of() : next.topics();
            // Register the new topics before leaving the old ones, so no change falls in between.
            if (wide) {
                everyChange.add(this);
            }
            for (String t : wanted) {
                if (!indexed.contains(t)) {
                    // Added inside compute: an unindex of the same topic must not drop the set in between.
                    byTopic.compute(t, (k, ws) -> {
                        Set<Watcher> set = ws == null ? ConcurrentHashMap.newKeySet() : ws;
                        set.add(this);
                        return set;
                    });
                }
            }
            for (String t : indexed) {
                if (!wanted.contains(t)) {
                    unindex(t);
                }
            }
            if (!wide) {
                everyChange.remove(this);
            }
            indexed = wanted;
        }

        private void unindex(String topic) {
            byTopic.computeIfPresent(topic, (k, ws) -> {
                ws.remove(this);
                return ws.isEmpty() ? null : ws;
            });
        }

        @Override
        public Wake await(long seen, Duration timeout) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            waiting = Thread.currentThread();
            try {
                // Waiting is published before the log is read, and the waker reads the log before
                // it reads waiting: either this thread sees a change, or the waker sees this thread.
                while (true) {
                    long g = generation.get();
                    if (g > seen) {
                        if (relevant(seen, g, interest)) {
                            return new Wake(g, true);
                        }
                        seen = g;
                    }
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                    long left = end - System.nanoTime();
                    if (left <= 0) {
                        return new Wake(seen, false);
                    }
                    LockSupport.parkNanos(this, left);
                }
            } finally {
                waiting = null;
            }
        }

        @Override
        public void close() {
            all.remove(this);
            everyChange.remove(this);
            for (String t : indexed) {
                unindex(t);
            }
            indexed = Set.of();
        }
    }
}
