package dev.syncline.server.sync;

import java.util.Map;

/**
 * A committed checkpoint as one connection sees it: the op id, the connection's write checkpoint
 * if replication has passed it (null otherwise), and the buckets its token grants now, each with
 * its priority (0..3).
 */
public record ConnectionCheckpoint(long opId, Long writeCheckpoint, Map<String, Integer> buckets) {
    public ConnectionCheckpoint {
        buckets = Map.copyOf(buckets);
    }
}
