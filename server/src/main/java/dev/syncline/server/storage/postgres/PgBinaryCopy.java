package dev.syncline.server.storage.postgres;

import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Arrays;

/**
 * Rows for {@code COPY … FROM STDIN (FORMAT binary)}, built in memory and sent in one COPY. Why:
 * the server reads binary COPY field by field with the types' receive functions — no SQL statement
 * per row and no parsing of text array literals — which made it the cheapest way to store op
 * segments and new source rows. Format: PostgreSQL's "COPY, Binary Format" and, for arrays,
 * {@code array_recv} (one dimension, lower bound 1). Pure apart from {@link #send}; one thread.
 */
final class PgBinaryCopy {
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};
    static final int INT2 = 21;
    static final int INT8 = 20;
    static final int TEXT = 25;

    private byte[] buf = new byte[1 << 16];
    private int len;
    private int rows;

    /** Starts a row of {@code fields} fields (the file header before the first). */
    void row(int fields) {
        if (len == 0) {
            put(SIGNATURE, SIGNATURE.length);
            int32(0);   // flags
            int32(0);   // header extension length
        }
        int16(fields);
        rows++;
    }

    int rows() {
        return rows;
    }

    /** Bytes held. */
    int size() {
        return len;
    }

    void text(String s) {
        if (s == null) {
            int32(-1);
        } else {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            int32(b.length);
            put(b, b.length);
        }
    }

    void int8(long v) {
        int32(8);
        int64(v);
    }

    void int8Array(long[] values, int n) {
        int32(20 + 12 * n);
        arrayHeader(INT8, n, false);
        for (int i = 0; i < n; i++) {
            int32(8);
            int64(values[i]);
        }
    }

    void int2Array(short[] values, int n) {
        int32(20 + 6 * n);
        arrayHeader(INT2, n, false);
        for (int i = 0; i < n; i++) {
            int32(2);
            int16(values[i]);
        }
    }

    void textArray(String[] values, int n) {
        int sizeAt = len;
        int32(0);   // the field's length, known at the end
        boolean nulls = false;
        for (int i = 0; i < n && !nulls; i++) {
            nulls = values[i] == null;
        }
        arrayHeader(TEXT, n, nulls);
        for (int i = 0; i < n; i++) {
            text(values[i]);
        }
        int fieldBytes = len - sizeAt - 4;
        setInt32(sizeAt, fieldBytes);
    }

    /** Sends the rows as one COPY (with the trailer) and empties this buffer. */
    void send(CopyManager copy, String sql) throws SQLException {
        if (rows == 0) {
            return;
        }
        int16(-1);
        CopyIn in = copy.copyIn(sql);
        try {
            in.writeToCopy(buf, 0, len);
            in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
            clear();
        }
    }

    void clear() {
        len = 0;
        rows = 0;
        if (buf.length > (1 << 22)) {
            buf = new byte[1 << 16];   // a multi-MB row made it large: do not keep that
        }
    }

    /** The encoded bytes so far (for tests). */
    byte[] bytes() {
        return Arrays.copyOf(buf, len);
    }

    private void arrayHeader(int elementOid, int n, boolean hasNulls) {
        int32(1);             // dimensions
        int32(hasNulls ? 1 : 0);
        int32(elementOid);
        int32(n);             // length of the dimension
        int32(1);             // lower bound
    }

    private void int16(int v) {
        ensure(2);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
    }

    private void int32(int v) {
        ensure(4);
        setInt32(len, v);
        len += 4;
    }

    private void setInt32(int at, int v) {
        buf[at] = (byte) (v >>> 24);
        buf[at + 1] = (byte) (v >>> 16);
        buf[at + 2] = (byte) (v >>> 8);
        buf[at + 3] = (byte) v;
    }

    private void int64(long v) {
        int32((int) (v >>> 32));
        int32((int) v);
    }

    private void put(byte[] b, int n) {
        ensure(n);
        System.arraycopy(b, 0, buf, len, n);
        len += n;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }
}
