package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketOp;

import java.util.ArrayList;
import java.util.List;

/**
 * Walks the ops of one segment written by {@link OpSegmentEncoder}, oldest first. {@link #next()}
 * reads an op's id, type and checksum; its texts are decoded only if {@link #op()} is asked for,
 * so skipping to a resume point or summing checksums costs no string allocation. Pure.
 */
final class OpSegmentReader {
    private final BinaryReader in;
    private long opId;
    private int type;
    private long checksum;
    /** Where the current op's texts start, and whether they were decoded or skipped yet. */
    private int textsAt;
    private boolean textsRead = true;
    /** The last object type read: ops of a segment almost always share it. */
    private String objectType;

    OpSegmentReader(byte[] segment) {
        in = new BinaryReader(segment);
        opId = in.hasMore() ? in.varint() : 0;
    }

    /** Every op of a segment. */
    static List<BucketOp> all(byte[] segment) {
        List<BucketOp> out = new ArrayList<>();
        OpSegmentReader r = new OpSegmentReader(segment);
        while (r.next()) {
            out.add(r.op());
        }
        return out;
    }

    /** Moves to the next op; false at the end of the segment. */
    boolean next() {
        if (!textsRead) {
            in.seek(textsAt);
            for (int i = type == OpType.PUT.code() ? 4 : 3; i > 0; i--) {
                in.skipText();
            }
        }
        if (!in.hasMore()) {
            return false;
        }
        opId += in.varint();
        type = in.byteValue();
        checksum = in.int32();
        textsAt = in.position();
        textsRead = type != OpType.PUT.code() && type != OpType.REMOVE.code();
        return true;
    }

    long opId() {
        return opId;
    }

    int type() {
        return type;
    }

    long checksum() {
        return checksum;
    }

    /** The current op with its texts. */
    BucketOp op() {
        OpId id = new OpId(opId);
        return switch (OpType.ofCode(type)) {
            case PUT -> {
                String[] t = texts();
                yield new BucketOp.Put(id, t[0], t[1], t[2], t[3], checksum);
            }
            case REMOVE -> {
                String[] t = texts();
                yield new BucketOp.Remove(id, t[0], t[1], t[2], checksum);
            }
            case MOVE -> new BucketOp.Move(id, checksum);
            case CLEAR -> new BucketOp.Clear(id, checksum);
        };
    }

    private String[] texts() {
        in.seek(textsAt);
        String[] t = new String[4];
        t[0] = objectType = in.text(objectType);
        t[1] = in.text();
        t[2] = in.text();
        t[3] = type == OpType.PUT.code() ? in.text() : null;
        textsRead = true;
        return t;
    }
}
