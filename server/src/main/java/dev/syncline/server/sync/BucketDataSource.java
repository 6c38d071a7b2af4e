package dev.syncline.server.sync;

import dev.syncline.protocol.sync.OplogEntry;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What the sync producer reads from bucket storage. Implementations answer for a committed
 * checkpoint only, so concurrent writes never show through.
 */
public interface BucketDataSource {

    /**
     * A bucket at a checkpoint: checksum (unsigned 32-bit), op count and its newest op id, or
     * {@link #UNKNOWN_LAST_OP_ID} when the source does not track it (the producer then reads ops to find out).
     */
    record BucketState(long checksum, long count, long lastOpId) {
        public static final long UNKNOWN_LAST_OP_ID = -1L;
        public static final BucketState EMPTY = new BucketState(0, 0, 0);
    }

    /** States of the given buckets as of {@code checkpoint}; a bucket without ops may be absent. */
    Map<String, BucketState> bucketStates(long checkpoint, Collection<String> buckets);

    /** Ops of {@code bucket} with {@code after < op_id <= upTo}, ascending, at most {@code limit}. */
    List<OplogEntry> ops(String bucket, long after, long upTo, int limit);
}
