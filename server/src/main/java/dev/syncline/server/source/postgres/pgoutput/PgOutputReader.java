package dev.syncline.server.source.postgres.pgoutput;

import dev.syncline.server.source.postgres.Lsn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked big-endian cursor over one message. It reads with absolute indexes so the
 * caller's buffer (often pgjdbc's receive buffer) is neither copied nor moved, and it is reused
 * across messages so the hot path allocates only the decoded values themselves.
 */
final class PgOutputReader {
    private ByteBuffer buffer;
    private int start;
    private int position;
    private int limit;
    private char messageType;

    /** Points the reader at {@code buffer}'s remaining bytes and reads the type byte. */
    char reset(ByteBuffer source) {
        buffer = source.order() == ByteOrder.BIG_ENDIAN ? source : source.duplicate().order(ByteOrder.BIG_ENDIAN);
        start = source.position();
        position = start;
        limit = source.limit();
        messageType = '?';
        messageType = (char) (readByte() & 0xff);
        return messageType;
    }

    byte readByte() {
        require(1, "a byte");
        return buffer.get(position++);
    }

    short readInt16() {
        require(2, "an int16");
        short v = buffer.getShort(position);
        position += 2;
        return v;
    }

    int readInt32() {
        require(4, "an int32");
        int v = buffer.getInt(position);
        position += 4;
        return v;
    }

    /** An unsigned 32-bit value such as a transaction id. */
    long readUInt32() {
        return Integer.toUnsignedLong(readInt32());
    }

    long readInt64() {
        require(8, "an int64");
        long v = buffer.getLong(position);
        position += 8;
        return v;
    }

    Lsn readLsn() {
        return new Lsn(readInt64());
    }

    /** A NUL-terminated UTF-8 string. */
    String readString() {
        int nul = position;
        while (nul < limit && buffer.get(nul) != 0) {
            nul++;
        }
        if (nul == limit) {
            throw malformed("string not NUL-terminated");
        }
        String s;
        if (buffer.hasArray()) {
            s = new String(buffer.array(), buffer.arrayOffset() + position, nul - position, StandardCharsets.UTF_8);
        } else {
            byte[] bytes = new byte[nul - position];
            buffer.get(position, bytes);
            s = new String(bytes, StandardCharsets.UTF_8);
        }
        position = nul + 1;
        return s;
    }

    /** Copies {@code length} bytes out: the values must outlive the receive buffer they came in. */
    byte[] readBytes(int length, String what) {
        if (length < 0) {
            throw malformed("negative length " + length + " for " + what);
        }
        require(length, what + " of " + length + " bytes");
        byte[] bytes = new byte[length];
        buffer.get(position, bytes);
        position += length;
        return bytes;
    }

    /** Fails unless the message was consumed exactly, so a format change cannot pass silently. */
    void requireEnd() {
        if (position != limit) {
            throw malformed((limit - position) + " unexpected trailing bytes");
        }
    }

    boolean atEnd() {
        return position == limit;
    }

    PgOutputFormatException malformed(String detail) {
        return new PgOutputFormatException(messageType, position - start, detail);
    }

    private void require(int n, String what) {
        if (limit - position < n) {
            throw malformed("truncated: needs " + what + " but " + (limit - position) + " bytes remain");
        }
    }
}
