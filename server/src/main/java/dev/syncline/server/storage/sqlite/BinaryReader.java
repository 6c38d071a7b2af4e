package dev.syncline.server.storage.sqlite;

import java.nio.charset.StandardCharsets;

/** Reads what {@link BinaryWriter} wrote, front to back. Pure. */
final class BinaryReader {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final byte[] buf;
    private int pos;

    BinaryReader(byte[] buf) {
        this.buf = buf;
    }

    boolean hasMore() {
        return pos < buf.length;
    }

    int position() {
        return pos;
    }

    void seek(int position) {
        pos = position;
    }

    long varint() {
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

    int byteValue() {
        return buf[pos++];
    }

    long int32() {
        long v = (buf[pos] & 0xFFL) | (buf[pos + 1] & 0xFFL) << 8 | (buf[pos + 2] & 0xFFL) << 16
                | (buf[pos + 3] & 0xFFL) << 24;
        pos += 4;
        return v;
    }

    String text() {
        return text(null);
    }

    /**
     * The next text; {@code same} itself when the text equals it (an ASCII string), so that a
     * text repeated op after op (a table name) is not allocated again.
     */
    String text(String same) {
        long h = varint();
        if (h == BinaryWriter.NULL) {
            return null;
        }
        if (h == BinaryWriter.UUID) {
            byte[] c = new byte[36];
            int j = 0;
            for (int n = 0; n < 16; n++) {
                if (j == 8 || j == 13 || j == 18 || j == 23) {
                    c[j++] = '-';
                }
                int b = buf[pos++] & 0xFF;
                c[j++] = HEX[b >>> 4];
                c[j++] = HEX[b & 0xF];
            }
            return new String(c, StandardCharsets.ISO_8859_1);
        }
        int length = (int) (h - BinaryWriter.TEXT);
        if (same != null && isAscii(same, length)) {
            pos += length;
            return same;
        }
        String s = new String(buf, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return s;
    }

    private boolean isAscii(String s, int length) {
        if (s.length() != length) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            char c = s.charAt(k);
            if (c >= 0x80 || buf[pos + k] != (byte) c) {
                return false;
            }
        }
        return true;
    }

    void skipText() {
        long h = varint();
        pos += h == BinaryWriter.NULL ? 0 : h == BinaryWriter.UUID ? 16 : (int) (h - BinaryWriter.TEXT);
    }
}
