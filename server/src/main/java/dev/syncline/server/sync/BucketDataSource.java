package dev.syncline.server.sync;

import dev.syncline.protocol.sync.OplogEntry;

import java.util.List;

/**
 * Where the sync producer reads bucket ops from. Ops at or below a committed checkpoint never
 * change except by compaction, which keeps every bucket's checksum, so reading them from a view
 * newer than the checkpoint is safe as long as {@code upTo} bounds them.
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

    /** Ops of {@code bucket} with {@code after < op_id <= upTo}, ascending, at most {@code limit}. */
    List<OplogEntry> ops(String bucket, long after, long upTo, int limit);
}
