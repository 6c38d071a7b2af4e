package dev.syncline.server.upload;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How many requests each client transaction has timed out in, so that one which always runs past
 * {@code statement_timeout} is rejected after {@code limit} tries instead of blocking its client's
 * queue forever. Counts live in memory, bounded to {@link #CAPACITY} transactions (the oldest are
 * forgotten first): a restart, or a request served by another node, starts a count again, which
 * only delays the rejection.
 */
final class TimeoutAttempts {
    static final int CAPACITY = 10_000;

    /** Whose transaction: the exactly-once key. */
    record Key(String userId, String clientId, long txId) {}

    private final int limit;
    private final Map<Key, Integer> counts = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Integer> eldest) {
            return size() > CAPACITY;
        }
    };

    TimeoutAttempts(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        this.limit = limit;
    }

    int limit() {
        return limit;
    }

    /** Counts one more timeout of {@code key}; returns how many so far, forgetting the key once it reaches the limit. */
    synchronized int timedOut(Key key) {
        int n = counts.merge(key, 1, Integer::sum);
        if (n >= limit) {
            counts.remove(key);
        }
        return n;
    }

    /** The transaction ended otherwise (applied, rejected, duplicate): its count no longer matters. */
    synchronized void settled(Key key) {
        counts.remove(key);
    }
}
