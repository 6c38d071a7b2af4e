package dev.syncline.protocol.sync;

import java.util.Arrays;

/**
 * Writes a {@code data} line as one BSON document straight into a byte array. Stock PowerSync
 * clients ask for BSON over HTTP ({@code @powersync/node}: bson-stream;q=0.9) and over RSocket, and
 * a first sync is almost all data lines: the bson4jackson generator spent more per op than the whole
 * rest of the stream's production (docs/benchmarks.md, P9). The bytes are exactly those of the
 * generator path (BsonDataLineEncoderTest compares them on many lines); a line with a string this
 * encoder does not write the way the generator does (a UTF-16 surrogate) is left to the generator.
 * Not thread-safe; one per line.
 */
final class BsonDataLineEncoder {
    private static final byte STRING = 0x02;
    private static final byte DOCUMENT = 0x03;
    private static final byte ARRAY = 0x04;
    private static final byte BOOLEAN = 0x08;
    private static final byte INT32 = 0x10;
    private static final byte INT64 = 0x12;

    /** Thrown where the generator must write the line instead. */
    private static final class NotHere extends Exception {
        NotHere() {
            super(null, null, false, false);
        }
    }

    private static final NotHere NOT_HERE = new NotHere();

    private byte[] b;
    private int n;
    private final char[] chars = new char[1024];

    private BsonDataLineEncoder(int capacity) {
        b = new byte[capacity];
    }

    /** The line's BSON document, or null when the generator must write it. */
    static byte[] encode(SyncLine.Data line) {
        BsonDataLineEncoder e = encoded(line);
        return e == null ? null : Arrays.copyOf(e.b, e.n);
    }

    /** Writes the line's BSON document to {@code out}; false (nothing written) when the generator must write it. */
    static boolean write(SyncLine.Data line, java.io.OutputStream out) throws java.io.IOException {
        BsonDataLineEncoder e = encoded(line);
        if (e == null) {
            return false;
        }
        out.write(e.b, 0, e.n); // no exact-size copy of a ~300 KB line
        return true;
    }

    private static BsonDataLineEncoder encoded(SyncLine.Data line) {
        long estimate = 256;
        for (OplogEntry op : line.data()) {
            estimate += 160 + (op.data() == null ? 0 : op.data().length());
        }
        BsonDataLineEncoder e = new BsonDataLineEncoder((int) Math.min(estimate, 64L << 20));
        try {
            e.write(line);
        } catch (NotHere notHere) {
            return null;
        }
        return e;
    }

    private void write(SyncLine.Data line) throws NotHere {
        int root = startDocument();
        element(DOCUMENT, "data");
        int data = startDocument();
        string("bucket", line.bucket());
        string("after", Long.toUnsignedString(line.after()));
        string("next_after", Long.toUnsignedString(line.nextAfter()));
        room(16);
        element(BOOLEAN, "has_more");
        b[n++] = (byte) (line.hasMore() ? 1 : 0);
        element(ARRAY, "data");
        int ops = startDocument();
        int index = 0;
        for (OplogEntry op : line.data()) {
            element(DOCUMENT, Integer.toString(index++));
            int doc = startDocument();
            string("op_id", Long.toUnsignedString(op.opId()));
            string("op", op.op().name());
            if (op.objectType() != null) {
                string("object_type", op.objectType());
            }
            if (op.objectId() != null) {
                string("object_id", op.objectId());
            }
            if (op.subkey() != null) {
                string("subkey", op.subkey());
            }
            if (op.data() != null) {
                string("data", op.data());
            }
            number("checksum", op.checksum());
            endDocument(doc);
        }
        endDocument(ops);
        endDocument(data);
        endDocument(root);
    }

    private void room(int bytes) {
        if (n + bytes > b.length) {
            b = Arrays.copyOf(b, Math.max(b.length * 2, n + bytes));
        }
    }

    private int startDocument() {
        room(4);
        int at = n;
        n += 4;
        return at;
    }

    private void endDocument(int at) {
        room(1);
        b[n++] = 0;
        int32At(at, n - at);
    }

    private void int32At(int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    /** A type byte and an ASCII element name. */
    private void element(byte type, String name) {
        room(name.length() + 2);
        b[n++] = type;
        for (int i = 0; i < name.length(); i++) {
            b[n++] = (byte) name.charAt(i);
        }
        b[n++] = 0;
    }

    /** As SyncLineCodec's writeNumber: 32-bit when it fits, else 64-bit. */
    private void number(String name, long v) {
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            element(INT32, name);
            room(4);
            int32At(n, (int) v);
            n += 4;
        } else {
            element(INT64, name);
            room(8);
            for (int i = 0; i < 8; i++) {
                b[n++] = (byte) (v >>> (8 * i));
            }
        }
    }

    private void string(String name, String value) throws NotHere {
        element(STRING, name);
        int length = startDocument(); // the same int32 placeholder
        int start = n;
        utf8(value);
        room(1);
        b[n++] = 0;
        int32At(length, n - start);
    }

    private void utf8(String s) throws NotHere {
        int length = s.length();
        for (int from = 0; from < length; from += chars.length) {
            int to = Math.min(length, from + chars.length);
            s.getChars(from, to, chars, 0);
            int count = to - from;
            room(3 * count);
            byte[] out = b;
            int m = n;
            for (int i = 0; i < count; i++) {
                char c = chars[i];
                if (c < 0x80) {
                    out[m++] = (byte) c;
                } else if (c < 0x800) {
                    out[m++] = (byte) (0xC0 | (c >> 6));
                    out[m++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    throw NOT_HERE;
                } else {
                    out[m++] = (byte) (0xE0 | (c >> 12));
                    out[m++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    out[m++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            n = m;
        }
    }
}
