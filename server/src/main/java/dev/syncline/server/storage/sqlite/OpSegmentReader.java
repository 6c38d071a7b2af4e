package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketOp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks the ops of one segment written by {@link OpSegmentEncoder}, oldest first. {@link #next()}
 * reads an op's id, type and checksum; its texts are decoded only if {@link #op()} is asked for,
 * so skipping to a resume point or summing checksums costs no string allocation. Pure.
 */
final class OpSegmentReader {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final byte[] buf;
    private int pos;
    private long opId;
    private int type;
    private long checksum;
    /** Where the current op's texts start, and whether they were decoded or skipped yet. */
    private int textsAt;
    private boolean textsRead;
    private String objectType;
    private String objectId;
    private String subkey;
    private String data;

    OpSegmentReader(byte[] segment) {
        this.buf = segment;
        this.opId = segment.length == 0 ? 0 : varint();
        this.textsRead = true;
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
            skipTexts();
        }
        if (pos >= buf.length) {
            return false;
        }
        opId += varint();
        type = buf[pos++];
        checksum = (buf[pos] & 0xFFL) | (buf[pos + 1] & 0xFFL) << 8 | (buf[pos + 2] & 0xFFL) << 16
                | (buf[pos + 3] & 0xFFL) << 24;
        pos += 4;
        textsAt = pos;
        textsRead = !hasTexts();
        objectType = objectId = subkey = data = null;
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
        if (!textsRead) {
            readTexts();
        }
        OpId id = new OpId(opId);
        return switch (OpType.ofCode(type)) {
            case PUT -> new BucketOp.Put(id, objectType, objectId, subkey, data, checksum);
            case REMOVE -> new BucketOp.Remove(id, objectType, objectId, subkey, checksum);
            case MOVE -> new BucketOp.Move(id, checksum);
            case CLEAR -> new BucketOp.Clear(id, checksum);
        };
    }

    private boolean hasTexts() {
        return type == OpType.PUT.code() || type == OpType.REMOVE.code();
    }

    private void readTexts() {
        pos = textsAt;
        objectType = text();
        objectId = text();
        subkey = text();
        data = type == OpType.PUT.code() ? text() : null;
        textsRead = true;
    }

    private void skipTexts() {
        pos = textsAt;
        int n = type == OpType.PUT.code() ? 4 : 3;
        for (int i = 0; i < n; i++) {
            long h = varint();
            pos += h == OpSegmentEncoder.NULL ? 0 : h == OpSegmentEncoder.UUID ? 16 : (int) (h - OpSegmentEncoder.TEXT);
        }
        textsRead = true;
    }

    private String text() {
        long h = varint();
        if (h == OpSegmentEncoder.NULL) {
            return null;
        }
        if (h == OpSegmentEncoder.UUID) {
            char[] c = new char[36];
            int j = 0;
            for (int n = 0; n < 16; n++) {
                if (j == 8 || j == 13 || j == 18 || j == 23) {
                    c[j++] = '-';
                }
                int b = buf[pos++] & 0xFF;
                c[j++] = HEX[b >>> 4];
                c[j++] = HEX[b & 0xF];
            }
            return new String(c);
        }
        int length = (int) (h - OpSegmentEncoder.TEXT);
        String s = new String(buf, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return s;
    }

    private long varint() {
        long v = 0;
        int shift = 0;
        while (true) {
            byte b = buf[pos++];
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
            shift += 7;
        }
    }
}
