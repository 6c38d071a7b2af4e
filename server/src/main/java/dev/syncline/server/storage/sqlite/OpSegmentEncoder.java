package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketOp;

/**
 * Builds one op segment: consecutive ops of one bucket packed into a single blob, so that a batch
 * costs one B-tree row per bucket instead of one per op (the per-op INSERT was the largest share
 * of the storage writer's time). Pure; reused after {@link #reset()}.
 *
 * <p>Format (read by {@link OpSegmentReader}, encodings of {@link BinaryWriter}): the first op id
 * as a varint, then per op: the op id minus the previous one as a varint (0 for the first), the
 * type code (one byte), the checksum (4 bytes little-endian), and for PUT and REMOVE the object
 * type, object id, subkey and (PUT only) data as texts. Op ids within a segment strictly increase.
 */
final class OpSegmentEncoder {
    private final BinaryWriter out;
    private long firstOpId;
    private long lastOpId;
    private int count;
    private long checksum;
    private boolean hasClear;

    OpSegmentEncoder(int initialCapacity) {
        out = new BinaryWriter(initialCapacity);
    }

    void add(long opId, int type, String objectType, String objectId, String subkey, String data, long opChecksum) {
        if (count == 0) {
            firstOpId = opId;
            out.varint(opId);
            out.varint(0);
        } else {
            if (opId <= lastOpId) {
                throw new IllegalArgumentException("op ids of a segment must increase: " + opId + " after " + lastOpId);
            }
            out.varint(opId - lastOpId);
        }
        out.byteValue(type);
        out.int32(opChecksum);
        if (type == OpType.PUT.code() || type == OpType.REMOVE.code()) {
            out.text(objectType);
            out.text(objectId);
            out.text(subkey);
            if (type == OpType.PUT.code()) {
                out.text(data);
            }
        }
        lastOpId = opId;
        count++;
        checksum = OpChecksum.add(checksum, opChecksum);
        hasClear |= type == OpType.CLEAR.code();
    }

    void add(BucketOp op) {
        switch (op) {
            case BucketOp.Put p -> add(p.opId().value(), OpType.PUT.code(), p.objectType(), p.objectId(), p.subkey(),
                    p.dataJson(), p.checksum());
            case BucketOp.Remove r -> add(r.opId().value(), OpType.REMOVE.code(), r.objectType(), r.objectId(),
                    r.subkey(), null, r.checksum());
            case BucketOp.Move m -> add(m.opId().value(), OpType.MOVE.code(), null, null, null, null, m.checksum());
            case BucketOp.Clear c -> add(c.opId().value(), OpType.CLEAR.code(), null, null, null, null, c.checksum());
        }
    }

    /** Encoded bytes so far. */
    int size() {
        return out.size();
    }

    /** Bytes allocated, for callers that pool encoders. */
    int capacity() {
        return out.capacity();
    }

    long firstOpId() {
        return firstOpId;
    }

    long lastOpId() {
        return lastOpId;
    }

    int count() {
        return count;
    }

    /** Wrapping sum of the ops' checksums. */
    long checksum() {
        return checksum;
    }

    boolean hasClear() {
        return hasClear;
    }

    byte[] toBytes() {
        return out.toBytes();
    }

    void reset() {
        out.reset();
        count = 0;
        checksum = 0;
        hasClear = false;
        firstOpId = 0;
        lastOpId = 0;
    }
}
