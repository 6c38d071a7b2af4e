package dev.syncline.server.sync;

import dev.syncline.protocol.sync.BucketReason;
import dev.syncline.protocol.sync.StreamDescription;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A committed checkpoint as one connection sees it: the op id, the connection's write checkpoint
 * if replication has passed it (null otherwise), the buckets its token grants now with their
 * priorities (0..3), and those buckets' states — all read from one consistent storage view, so the
 * checksums belong to exactly this checkpoint. A granted bucket missing from {@code states} is empty.
 * {@code interest} says which later changes could make any of this different (see {@link Interest}).
 * {@code streams} and {@code reasons} say which streams (bucket definitions count as default streams)
 * the connection is subscribed to and why it has each bucket (PROTOCOL.md §9); a bucket missing from
 * {@code reasons} is sent with none.
 */
public record ConnectionCheckpoint(long opId, Long writeCheckpoint, Map<String, Integer> buckets,
                                   Map<String, BucketDataSource.BucketState> states, Interest interest,
                                   List<StreamDescription> streams, Map<String, List<BucketReason>> reasons) {
    public ConnectionCheckpoint {
        buckets = Map.copyOf(buckets);
        states = Map.copyOf(states);
        Objects.requireNonNull(interest, "interest");
        streams = List.copyOf(streams);
        reasons = Map.copyOf(reasons);
    }

    public ConnectionCheckpoint(long opId, Long writeCheckpoint, Map<String, Integer> buckets,
                                Map<String, BucketDataSource.BucketState> states, Interest interest) {
        this(opId, writeCheckpoint, buckets, states, interest, List.of(), Map.of());
    }

    /** A checkpoint of a scope that does not say what it depends on: every change is relevant. */
    public ConnectionCheckpoint(long opId, Long writeCheckpoint, Map<String, Integer> buckets,
                                Map<String, BucketDataSource.BucketState> states) {
        this(opId, writeCheckpoint, buckets, states, Interest.EVERYTHING);
    }
}
