package dev.syncline.server.sync;

import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.server.storage.SourceXid;

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

    /**
     * The source transactions that wrote ops with {@code after < op_id <= upTo} (see
     * {@link SourceXid}); empty where the source does not know them.
     */
    default List<SourceXid> sourceXids(long after, long upTo) {
        return List.of();
    }

    /**
     * A reader for one checkpoint's data phase, which reads many chunks in a row. The default sends
     * every read to {@link #ops}; a storage backend keeps one read view (and its prepared
     * statements) open across chunks instead of opening one per chunk. Close it when the phase ends.
     */
    default Reader reader() {
        return new Reader() {
            @Override
            public List<OplogEntry> ops(String bucket, long after, long upTo, int limit) {
                return BucketDataSource.this.ops(bucket, after, upTo, limit);
            }

            @Override
            public List<SourceXid> sourceXids(long after, long upTo) {
                return BucketDataSource.this.sourceXids(after, upTo);
            }

            @Override
            public void close() {
                // nothing held
            }
        };
    }

    /** Reads of one data phase; not thread-safe. */
    interface Reader extends AutoCloseable {
        /** As {@link BucketDataSource#ops}. */
        List<OplogEntry> ops(String bucket, long after, long upTo, int limit);

        /** As {@link BucketDataSource#sourceXids}. */
        default List<SourceXid> sourceXids(long after, long upTo) {
            return List.of();
        }

        /**
         * As {@link dev.syncline.server.storage.ReadView#compactedUpTo}: no op the last compaction of
         * {@code bucket} turned into a MOVE or CLEAR was superseded by an op above it;
         * {@link Long#MAX_VALUE} when unknown. Read it after the ops it vouches for.
         */
        default long compactedUpTo(String bucket) {
            return Long.MAX_VALUE;
        }

        @Override
        void close();
    }
}
