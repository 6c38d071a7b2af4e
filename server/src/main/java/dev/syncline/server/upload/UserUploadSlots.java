package dev.syncline.server.upload;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many uploads each user has in flight, capped per user, so that one token cannot hold all of
 * the shared upload connections ({@code upload.max_connections}) while other users wait. A user at
 * the cap is answered 429 with {@code Retry-After} at once rather than queued.
 */
public final class UserUploadSlots {
    private final int perUser;
    private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    public UserUploadSlots(int perUser) {
        if (perUser < 1) {
            throw new IllegalArgumentException("perUser must be at least 1, got " + perUser);
        }
        this.perUser = perUser;
    }

    public int perUser() {
        return perUser;
    }

    /** A slot held until closed. */
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /** A slot for {@code userId}, or null when the user already has {@code perUser} uploads in flight. */
    public Slot tryAcquire(String userId) {
        boolean[] granted = {false};
        // compute() runs atomically per key: counting and removing the entry at zero cannot race.
        inFlight.compute(userId, (user, count) -> {
            AtomicInteger n = count == null ? new AtomicInteger() : count;
            if (n.get() < perUser) {
                n.incrementAndGet();
                granted[0] = true;
            }
            return n.get() == 0 ? null : n;
        });
        if (!granted[0]) {
            return null;
        }
        boolean[] released = {false};
        return () -> {
            if (!released[0]) {
                released[0] = true;
                inFlight.computeIfPresent(userId, (user, n) -> n.decrementAndGet() == 0 ? null : n);
            }
        };
    }

    /** Users with an upload in flight; for tests. */
    int users() {
        return inFlight.size();
    }
}
