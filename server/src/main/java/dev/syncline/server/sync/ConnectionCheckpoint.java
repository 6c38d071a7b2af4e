package dev.syncline.server.sync;

import java.util.Map;
import java.util.Objects;

/**
 * A committed checkpoint as one connection sees it: the op id, the connection's write checkpoint
 * if replication has passed it (null otherwise), the buckets its token grants now with their
 * priorities (0..3), and those buckets' states — all read from one consistent storage view, so the
 * checksums belong to exactly this checkpoint. A granted bucket missing from {@code states} is empty.
 * {@code interest} says which later changes could make any of this different (see {@link Interest}).
 */
public record ConnectionCheckpoint(long opId, Long writeCheckpoint, Map<String, Integer> buckets,
                                   Map<String, BucketDataSource.BucketState> states, Interest interest) {
    public ConnectionCheckpoint {
        buckets = Map.copyOf(buckets);
        states = Map.copyOf(states);
        Objects.requireNonNull(interest, "interest");
    }

    /** A checkpoint of a scope that does not say what it depends on: every change is relevant. */
    public ConnectionCheckpoint(long opId, Long writeCheckpoint, Map<String, Integer> buckets,
                                Map<String, BucketDataSource.BucketState> states) {
        this(opId, writeCheckpoint, buckets, states, Interest.EVERYTHING);
    }
}
