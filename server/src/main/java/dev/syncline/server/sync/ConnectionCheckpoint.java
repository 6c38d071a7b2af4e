package dev.syncline.server.sync;

import java.util.Map;

/**
 * A committed checkpoint as one connection sees it: the op id, the connection's write checkpoint
 * if replication has passed it (null otherwise), the buckets its token grants now with their
 * priorities (0..3), and those buckets' states — all read from one consistent storage view, so the
 * checksums belong to exactly this checkpoint. A granted bucket missing from {@code states} is empty.
 */
public record ConnectionCheckpoint(long opId, Long writeCheckpoint, Map<String, Integer> buckets,
                                   Map<String, BucketDataSource.BucketState> states) {
    public ConnectionCheckpoint {
        buckets = Map.copyOf(buckets);
        states = Map.copyOf(states);
    }
}
