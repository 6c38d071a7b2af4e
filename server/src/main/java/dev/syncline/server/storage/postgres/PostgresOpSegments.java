package dev.syncline.server.storage.postgres;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The writer's side of {@code op_segments}: a write transaction's ops collected per bucket and
 * stored as one row per run of a bucket's consecutive ops, the ops' fields as parallel arrays.
 * Why: one {@code ops} row per op (a B-tree entry, a heap tuple and a bound parameter set each)
 * was the largest single cost of PostgreSQL storage under load (P1, docs/storage.md).
 *
 * <p>Segments go out as one binary COPY per flush ({@link PgBinaryCopy}): no text array literal for
 * the server to parse. A segment is written when it reaches {@value #SEGMENT_OPS} ops or {@value #SEGMENT_BYTES}
 * bytes of op data (so a reader resuming inside one reads a bounded amount), and all open segments
 * when together they hold {@value #BUFFERED_BYTES} bytes or {@value #MAX_OPEN} buckets, and at
 * commit: memory stays bounded however large the transaction. A bucket's segments never overlap in
 * op ids (its open segment is written before the next starts), so ordering a bucket's segments by
 * {@code last_op_id} and each segment's ops by position orders the bucket's ops by id. Safe because
 * nothing reads ops through the writer's connection before commit, which flushes. One thread.
 */
final class PostgresOpSegments {
    static final int SEGMENT_OPS = 2_048;
    static final long SEGMENT_BYTES = 256 * 1024;
    static final long BUFFERED_BYTES = 2L << 20;
    static final int MAX_OPEN = 16_384;

    /**
     * A FROM item of every stored op beside its segment: {@code s} the segment row, {@code o} the op
     * ({@code o.op_id, o.op_type, o.object_type, o.object_id, o.subkey, o.data, o.checksum}, and
     * {@code o.n} its 1-based place in the segment). Queries restrict {@code s} by bucket and
     * {@code s.first_op_id}/{@code s.last_op_id} so that only the segments in range are unpacked.
     */
    static final String OPS = "op_segments s CROSS JOIN LATERAL unnest(s.op_ids, s.op_types, s.object_types, "
            + "s.object_ids, s.subkeys, s.datas, s.checksums) WITH ORDINALITY "
            + "AS o(op_id, op_type, object_type, object_id, subkey, data, checksum, n)";

    static final String COPY = "COPY op_segments (bucket, last_op_id, first_op_id, op_ids, op_types, object_types, "
            + "object_ids, subkeys, datas, checksums) FROM STDIN (FORMAT binary)";

    private final CopyManager copy;
    /** Segments written and not yet sent: sent as one binary COPY at flush or past {@value #BUFFERED_BYTES}. */
    private final PgBinaryCopy rows = new PgBinaryCopy();
    private final Map<String, Segment> open = new LinkedHashMap<>();
    private final ArrayDeque<Segment> spare = new ArrayDeque<>();
    private long buffered;

    PostgresOpSegments(Connection connection) throws SQLException {
        this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
    }

    void add(String bucket, long opId, int type, String objectType, String objectId, String subkey, String data,
             long checksum) throws SQLException {
        Segment seg = open.get(bucket);
        if (seg == null) {
            if (open.size() >= MAX_OPEN) {
                flush();
            }
            seg = spare.isEmpty() ? new Segment() : spare.pop();
            open.put(bucket, seg);
        }
        long bytes = 32 + length(objectType) + length(objectId) + length(subkey) + length(data);
        seg.add(opId, (short) type, objectType, objectId, subkey, data, checksum, bytes);
        buffered += bytes;
        if (seg.size >= SEGMENT_OPS || seg.bytes >= SEGMENT_BYTES) {
            open.remove(bucket);
            write(bucket, seg);
        }
        if (buffered >= BUFFERED_BYTES) {
            flush();
        }
    }

    /** Writes every open segment and sends them: afterwards the transaction holds all ops. */
    void flush() throws SQLException {
        for (Map.Entry<String, Segment> e : open.entrySet()) {
            write(e.getKey(), e.getValue());
        }
        open.clear();
        rows.send(copy, COPY);
    }

    /** Drops what is buffered: the transaction rolls back. */
    void clear() {
        rows.clear();
        open.values().forEach(s -> {
            s.reset();
            spare.push(s);
        });
        open.clear();
        buffered = 0;
    }

    private void write(String bucket, Segment seg) throws SQLException {
        int n = seg.size;
        rows.row(10);
        rows.text(bucket);
        rows.int8(seg.ids[n - 1]);
        rows.int8(seg.ids[0]);
        rows.int8Array(seg.ids, n);
        rows.int2Array(seg.types, n);
        rows.textArray(seg.objectTypes, n);
        rows.textArray(seg.objectIds, n);
        rows.textArray(seg.subkeys, n);
        rows.textArray(seg.data, n);
        rows.int8Array(seg.checksums, n);
        buffered -= seg.bytes;
        seg.reset();
        spare.push(seg);
        if (rows.size() >= BUFFERED_BYTES) {
            rows.send(copy, COPY);
        }
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    /** One bucket's open segment, reused once written. */
    private static final class Segment {
        long[] ids = new long[16];
        short[] types = new short[16];
        String[] objectTypes = new String[16];
        String[] objectIds = new String[16];
        String[] subkeys = new String[16];
        String[] data = new String[16];
        long[] checksums = new long[16];
        int size;
        long bytes;

        void add(long id, short type, String objectType, String objectId, String subkey, String d, long checksum,
                 long opBytes) {
            if (size == ids.length) {
                int cap = size * 2;
                ids = Arrays.copyOf(ids, cap);
                types = Arrays.copyOf(types, cap);
                objectTypes = Arrays.copyOf(objectTypes, cap);
                objectIds = Arrays.copyOf(objectIds, cap);
                subkeys = Arrays.copyOf(subkeys, cap);
                data = Arrays.copyOf(data, cap);
                checksums = Arrays.copyOf(checksums, cap);
            }
            ids[size] = id;
            types[size] = type;
            objectTypes[size] = objectType;
            objectIds[size] = objectId;
            subkeys[size] = subkey;
            data[size] = d;
            checksums[size] = checksum;
            size++;
            bytes += opBytes;
        }

        void reset() {
            Arrays.fill(objectTypes, 0, size, null);
            Arrays.fill(objectIds, 0, size, null);
            Arrays.fill(subkeys, 0, size, null);
            Arrays.fill(data, 0, size, null);
            size = 0;
            bytes = 0;
        }
    }
}
