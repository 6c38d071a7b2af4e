package dev.syncline.server.sync;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A token bucket per user: a burst of {@code perMinute} requests, refilled evenly over a minute.
 * Used where one request costs the node a lock, a database round trip or an fsync (write
 * checkpoints), so one token cannot spend that for everybody. Memory stays bounded: beyond
 * {@value #PRUNE_ABOVE} users, buckets that have refilled completely (idle users) are dropped,
 * which forgets nothing that matters. Thread-safe; the clock is injectable for tests.
 */
public final class PerUserRateLimit {
    static final int PRUNE_ABOVE = 100_000;

    private final int perMinute;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new HashMap<>();

    private static final class Bucket {
        double tokens;
        Instant at;

        Bucket(double tokens, Instant at) {
            this.tokens = tokens;
            this.at = at;
        }
    }

    public PerUserRateLimit(int perMinute, Clock clock) {
        if (perMinute < 1) {
            throw new IllegalArgumentException("perMinute must be at least 1, found " + perMinute);
        }
        this.perMinute = perMinute;
        this.clock = clock;
    }

    /**
     * Takes one request from the user's bucket.
     *
     * @return {@link Duration#ZERO} when allowed; otherwise how long until the next request is
     *         (nothing is taken then)
     */
    public synchronized Duration acquire(String userId) {
        Instant now = clock.instant();
        if (buckets.size() > PRUNE_ABOVE) {
            buckets.values().removeIf(b -> refill(b, now) >= perMinute);
        }
        Bucket b = buckets.computeIfAbsent(userId, u -> new Bucket(perMinute, now));
        refill(b, now);
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return Duration.ZERO;
        }
        double seconds = (1 - b.tokens) * 60.0 / perMinute;
        return Duration.ofMillis((long) Math.ceil(seconds * 1000));
    }

    private double refill(Bucket b, Instant now) {
        if (now.isAfter(b.at)) {
            double added = Duration.between(b.at, now).toNanos() / 60e9 * perMinute;
            b.tokens = Math.min(perMinute, b.tokens + added);
            b.at = now;
        }
        return b.tokens;
    }

    /** Users currently tracked. */
    synchronized int tracked() {
        return buckets.size();
    }
}
