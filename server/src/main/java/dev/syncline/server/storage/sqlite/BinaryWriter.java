package dev.syncline.server.storage.sqlite;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer with the few encodings storage blobs use (read back by
 * {@link BinaryReader}): unsigned varints, 4-byte little-endian integers and nullable texts. A
 * text starts with a varint header: {@value #NULL} for null, {@value #UUID} for a canonical
 * lowercase UUID stored as 16 bytes (every op's subkey is one), {@code TEXT + n} for n bytes of
 * UTF-8. Pure; reusable after {@link #reset()}.
 */
final class BinaryWriter {
    static final int NULL = 0;
    static final int UUID = 1;
    static final int TEXT = 2;

    private byte[] buf;
    private int size;

    BinaryWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    int size() {
        return size;
    }

    int capacity() {
        return buf.length;
    }

    byte[] toBytes() {
        return Arrays.copyOf(buf, size);
    }

    void reset() {
        size = 0;
    }

    void varint(long v) {
        if ((v & ~0x7FL) == 0 && size < buf.length) {
            buf[size++] = (byte) v;
            return;
        }
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
    }

    void byteValue(int b) {
        ensure(1);
        buf[size++] = (byte) b;
    }

    void int32(long v) {
        ensure(4);
        buf[size++] = (byte) v;
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 24);
    }

    void text(String s) {
        if (s == null) {
            varint(NULL);
        } else if (!uuid(s)) {
            // getBytes is a vectorised copy for Latin-1 strings without high characters (most texts
            // here); a char-by-char loop was the writer thread's hottest Java frame.
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varint(TEXT + (long) b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }
    }

    /** Writes {@code s} as 16 bytes if it is a canonical UUID; otherwise writes nothing and says so. */
    private boolean uuid(String s) {
        if (s.length() != 36 || s.charAt(8) != '-' || s.charAt(13) != '-' || s.charAt(18) != '-'
                || s.charAt(23) != '-') {
            return false;
        }
        ensure(17);
        int at = size;
        buf[at++] = UUID;
        int i = 0;
        for (int n = 0; n < 16; n++) {
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                i++;
            }
            int hi = hex(s.charAt(i));
            int lo = hex(s.charAt(i + 1));
            if ((hi | lo) < 0) {
                return false;
            }
            buf[at++] = (byte) (hi << 4 | lo);
            i += 2;
        }
        size = at;
        return true;
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
