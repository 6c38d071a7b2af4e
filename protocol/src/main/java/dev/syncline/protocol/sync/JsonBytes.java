package dev.syncline.protocol.sync;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A minimal UTF-8 JSON writer for the hot path of a sync stream ({@link DataLineEncoder}): bytes go
 * into a small array that is passed on to the target stream when full and at {@link #drain()}, never
 * flushed. Strings are escaped exactly as Jackson's UTF-8 generator escapes them with its defaults
 * ({@code "} and {@code \} with a backslash; {@code \b \t \n \f \r} short; other controls and each UTF-16
 * surrogate, paired or not, as a six-character unicode escape with upper-case hex; everything else, {@code /} and non-ASCII included, as plain UTF-8), so that a line
 * written here is byte for byte the one Jackson would write (DataLineEncoderTest compares them). Not
 * thread-safe; one per line.
 */
final class JsonBytes {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** Per ASCII char: 0 plain, -1 a six-character unicode escape, otherwise the char after the backslash. */
    private static final int[] ESCAPES = new int[128];

    static {
        for (int i = 0; i < 32; i++) {
            ESCAPES[i] = -1;
        }
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\f'] = 'f';
        ESCAPES['\n'] = 'n';
        ESCAPES['\r'] = 'r';
    }

    /** Chars escaped per step; the buffer must hold a chunk's plain run. */
    private static final int CHUNK = 1024;

    private final OutputStream out;
    private final byte[] buf;
    private final char[] chars = new char[CHUNK];
    private int n;

    JsonBytes(OutputStream out, int bufferBytes) {
        if (bufferBytes < CHUNK) {
            throw new IllegalArgumentException("a buffer of at least " + CHUNK + " bytes");
        }
        this.out = out;
        this.buf = new byte[bufferBytes];
    }

    private void room(int bytes) throws IOException {
        if (n + bytes > buf.length) {
            drain();
        }
    }

    /** Passes what is buffered to the target stream (without flushing it). */
    void drain() throws IOException {
        if (n > 0) {
            out.write(buf, 0, n);
            n = 0;
        }
    }

    void raw(char c) throws IOException {
        room(1);
        buf[n++] = (byte) c;
    }

    /** ASCII text written as is (field names, literals, number text). */
    void ascii(String s) throws IOException {
        ascii(s, 0, s.length());
    }

    void ascii(String s, int from, int to) throws IOException {
        int length = to - from;
        if (length > buf.length) {
            for (int i = from; i < to; i++) {
                raw(s.charAt(i));
            }
            return;
        }
        room(length);
        for (int i = from; i < to; i++) {
            buf[n++] = (byte) s.charAt(i);
        }
    }

    void number(long v) throws IOException {
        room(20);
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                ascii(Long.toString(v));
                return;
            }
            buf[n++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long p = 10; digits < 19 && v >= p; p *= 10) {
            digits++;
        }
        int end = n + digits;
        for (int i = end - 1; i >= n; i--) {
            buf[i] = (byte) ('0' + (int) (v % 10));
            v /= 10;
        }
        n = end;
    }

    /** An unsigned 64-bit value as a quoted decimal string (op ids). */
    void unsignedString(long v) throws IOException {
        raw('"');
        if (v >= 0) {
            number(v);
        } else {
            ascii(Long.toUnsignedString(v));
        }
        raw('"');
    }

    void bool(boolean v) throws IOException {
        ascii(v ? "true" : "false");
    }

    void string(String s) throws IOException {
        string(s, 0, s.length());
    }

    /** {@code s[from, to)} as a JSON string, quoted and escaped. */
    void string(String s, int from, int to) throws IOException {
        raw('"');
        // Chunk by chunk through a char array: a loop over an array is about twice as fast as
        // String.charAt (a coder check and an index check per char), and this loop is most of a data line.
        while (from < to) {
            int length = Math.min(to - from, CHUNK);
            s.getChars(from, from + length, chars, 0);
            escape(chars, 0, length);
            from += length;
        }
        raw('"');
    }

    /** {@code cs[from, to)} as a JSON string, quoted and escaped. */
    void string(char[] cs, int from, int to) throws IOException {
        raw('"');
        while (from < to) {
            int length = Math.min(to - from, CHUNK);
            escape(cs, from, from + length);
            from += length;
        }
        raw('"');
    }

    /** ASCII chars written as they are (number text, literals). */
    void ascii(char[] cs, int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            raw(cs[i]);
        }
    }

    /** {@code cs[from, to)}, at most {@link #CHUNK} chars. */
    private void escape(char[] cs, int from, int to) throws IOException {
        int i = from;
        while (i < to) {
            // A run of plain ASCII, the common case, goes in without a check per byte for room.
            room(to - i);
            byte[] b = buf;
            int m = n;
            while (i < to) {
                char c = cs[i];
                if (c >= 128 || ESCAPES[c] != 0) {
                    break;
                }
                b[m++] = (byte) c;
                i++;
            }
            n = m;
            if (i == to) {
                return;
            }
            char c = cs[i++];
            room(6);
            if (c < 128) {
                int e = ESCAPES[c];
                buf[n++] = '\\';
                if (e > 0) {
                    buf[n++] = (byte) e;
                } else {
                    buf[n++] = 'u';
                    buf[n++] = '0';
                    buf[n++] = '0';
                    buf[n++] = HEX[c >> 4];
                    buf[n++] = HEX[c & 0xF];
                }
            } else if (c < 0x800) {
                buf[n++] = (byte) (0xC0 | (c >> 6));
                buf[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                // Jackson 2's UTF-8 generator escapes each half of a pair (and a lone half) by default.
                buf[n++] = '\\';
                buf[n++] = 'u';
                buf[n++] = HEX[c >> 12];
                buf[n++] = HEX[(c >> 8) & 0xF];
                buf[n++] = HEX[(c >> 4) & 0xF];
                buf[n++] = HEX[c & 0xF];
            } else {
                buf[n++] = (byte) (0xE0 | (c >> 12));
                buf[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                buf[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
    }

    /** Bytes written by someone else (a fallback encoder). */
    void bytes(byte[] b, int off, int len) throws IOException {
        if (len > buf.length - n) {
            drain();
            if (len > buf.length) {
                out.write(b, off, len);
                return;
            }
        }
        System.arraycopy(b, off, buf, n, len);
        n += len;
    }
}
