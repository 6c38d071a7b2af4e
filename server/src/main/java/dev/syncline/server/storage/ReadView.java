package dev.syncline.server.storage;

import dev.syncline.protocol.OpId;

import java.util.List;
import java.util.Optional;

/**
 * A consistent snapshot of committed storage (see {@link BucketReader}). Close it promptly: an
 * open view keeps old versions alive. Not thread-safe.
 */
public interface ReadView extends AutoCloseable {

    /** The latest checkpoint in this view; empty until the initial copy is consistent. */
    Optional<Checkpoint> checkpoint();

    /** The bucket's checksum and op count at {@link #checkpoint()}; zeros for an unknown bucket. */
    BucketChecksum checksum(String bucket);

    /**
     * Ops of {@code bucket} with {@code after < opId <= upTo}, ascending, at most {@code limit}.
     * Pass the checkpoint's op id as {@code upTo} so that ops of a later checkpoint never leak in.
     */
    List<BucketOp> ops(String bucket, OpId after, OpId upTo, int limit);

    /**
     * The bucket's ops with {@code after < opId <= upTo} summed up: one range read on the bucket's
     * log, however long it is. Used to move a cached checksum from one checkpoint to the next.
     */
    OpRange opRange(String bucket, OpId after, OpId upTo);

    /**
     * The bucket's state at {@code upTo} (checksum of all ops up to it, compacted ones included;
     * op count; newest op id), without summing its whole log: the stored total minus the ops newer
     * than {@code upTo}. {@code hasClear} is false.
     */
    OpRange stateAt(String bucket, OpId upTo);

    /**
     * The source transactions whose ops intersect {@code after < opId <= upTo}, ascending by op id
     * (see {@link WriteTransaction#sourceTransaction}); ops outside every record (snapshot copies,
     * records pruned as too old) belong to none.
     */
    List<SourceXid> sourceXids(OpId after, OpId upTo);

    /**
     * An op id at or above which every op that compaction superseded in {@code bucket} was superseded:
     * the latest checkpoint of the last compaction that changed the bucket (0 if none did). Ops at or
     * below an op id at or above it read as they were at that op id, MOVE and CLEAR aside, which is
     * what lets a reader rebuild the bucket's rows at an older op id. {@link Long#MAX_VALUE} where
     * storage does not record it (then any op may have been superseded by any later one).
     */
    default long compactedUpTo(String bucket) {
        return Long.MAX_VALUE;
    }

    /** Values stored under a parameter-lookup key, in no particular order. */
    List<String> parameterValues(String lookupKey);

    /** Per-bucket sizes, for operators. */
    List<BucketStats> bucketStats();

    /**
     * The {@code limit} buckets with the most stored ops, most first (ties by name), for the admin
     * diagnostics: one indexed-or-sorted read instead of {@link #bucketStats()} over every bucket.
     */
    List<BucketStats> largestBuckets(int limit);

    /**
     * What the writer durably stored for the source as of this view (snapshot progress, last stored
     * commit, last acknowledged position), read without touching the writer, for diagnostics.
     */
    WriterState writerState();

    @Override
    void close();
}
