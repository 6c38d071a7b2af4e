package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketOp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one op segment: consecutive ops of one bucket packed into a single blob, so that a batch
 * costs one B-tree row per bucket instead of one per op (the per-op INSERT was the largest share
 * of the storage writer's time). Pure; reused after {@link #reset()}.
 *
 * <p>Format (read by {@link OpSegmentReader}): the first op id as a varint, then per op: the op id
 * minus the previous one as a varint (0 for the first), the type code (one byte), the checksum
 * (4 bytes little-endian), and for PUT and REMOVE the object type, object id, subkey and (PUT
 * only) data as {@link #text encoded text}. Op ids within a segment strictly increase.
 */
final class OpSegmentEncoder {
    /** Text header: null. */
    static final int NULL = 0;
    /** Text header: a canonical lowercase UUID stored as 16 bytes (the subkey of every op is one). */
    static final int UUID = 1;
    /** Text header: {@code TEXT + n} is n bytes of UTF-8. */
    static final int TEXT = 2;

    private byte[] buf;
    private int size;
    private long firstOpId;
    private long lastOpId;
    private int count;
    private long checksum;
    private boolean hasClear;

    OpSegmentEncoder(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    void add(long opId, int type, String objectType, String objectId, String subkey, String data, long opChecksum) {
        if (count == 0) {
            firstOpId = opId;
            varint(opId);
            varint(0);
        } else {
            if (opId <= lastOpId) {
                throw new IllegalArgumentException("op ids of a segment must increase: " + opId + " after " + lastOpId);
            }
            varint(opId - lastOpId);
        }
        ensure(5);
        buf[size++] = (byte) type;
        buf[size++] = (byte) opChecksum;
        buf[size++] = (byte) (opChecksum >>> 8);
        buf[size++] = (byte) (opChecksum >>> 16);
        buf[size++] = (byte) (opChecksum >>> 24);
        if (type == OpType.PUT.code() || type == OpType.REMOVE.code()) {
            text(objectType);
            text(objectId);
            text(subkey);
            if (type == OpType.PUT.code()) {
                text(data);
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

    boolean isEmpty() {
        return count == 0;
    }

    /** Encoded bytes so far. */
    int size() {
        return size;
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

    /** Bytes allocated, for callers that pool encoders. */
    int capacity() {
        return buf.length;
    }

    byte[] toBytes() {
        return Arrays.copyOf(buf, size);
    }

    void reset() {
        size = 0;
        count = 0;
        checksum = 0;
        hasClear = false;
        firstOpId = 0;
        lastOpId = 0;
    }

    private void text(String s) {
        if (s == null) {
            varint(NULL);
        } else if (isCanonicalUuid(s)) {
            ensure(17);
            buf[size++] = UUID;
            int i = 0;
            for (int n = 0; n < 16; n++) {
                if (s.charAt(i) == '-') {
                    i++;
                }
                buf[size++] = (byte) (hex(s.charAt(i)) << 4 | hex(s.charAt(i + 1)));
                i += 2;
            }
        } else {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varint(TEXT + (long) b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }
    }

    /** Only the exact form {@code UUID.toString()} produces, so that decoding gives back the same string. */
    static boolean isCanonicalUuid(String s) {
        if (s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : hex(c) < 0) {
                return false;
            }
        }
        return true;
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }

    private void varint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
