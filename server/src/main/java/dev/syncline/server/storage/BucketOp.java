package dev.syncline.server.storage;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;

/**
 * One stored operation of a bucket's log, as a reader gets it. {@code checksum} is the op's
 * unsigned 32-bit checksum (PROTOCOL.md §2), kept unchanged when compaction turns the op into a
 * {@link Move} or folds it into a {@link Clear}.
 */
public sealed interface BucketOp {
    OpId opId();

    long checksum();

    OpType type();

    /** A row's full current data in this bucket; the row key is (objectType, objectId, subkey). */
    record Put(OpId opId, String objectType, String objectId, String subkey, String dataJson, long checksum)
            implements BucketOp {
        public OpType type() { return OpType.PUT; }
    }

    /** The bucket no longer holds the row (objectType, objectId, subkey). */
    record Remove(OpId opId, String objectType, String objectId, String subkey, long checksum) implements BucketOp {
        public OpType type() { return OpType.REMOVE; }
    }

    /** A superseded op reduced to its id and checksum by compaction. */
    record Move(OpId opId, long checksum) implements BucketOp {
        public OpType type() { return OpType.MOVE; }
    }

    /** Everything before it is gone; its checksum is the sum of what it replaced. */
    record Clear(OpId opId, long checksum) implements BucketOp {
        public OpType type() { return OpType.CLEAR; }
    }
}
