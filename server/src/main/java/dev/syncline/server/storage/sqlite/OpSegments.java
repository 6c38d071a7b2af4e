package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.OpRange;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code op_segments} table: each row is a run of one bucket's consecutive ops (encoded by
 * {@link OpSegmentEncoder}) with its first and last op id, op count, checksum sum and whether it
 * holds a CLEAR. A bucket's segments never overlap in op ids and are ordered by
 * {@code last_op_id}, which is also the row id (op ids are unique across buckets). Reading a range
 * sums whole segments from the index and decodes only the (at most two) segments cut by the
 * range's ends. Statements come from a reader connection's cache.
 */
final class OpSegments {
    static final String INSERT = "INSERT INTO op_segments (last_op_id, bucket_id, first_op_id, op_count, checksum, "
            + "has_clear, ops) VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String FROM = " FROM buckets b JOIN op_segments s ON s.bucket_id = b.id WHERE b.name = ? ";
    private static final String OPS = "SELECT s.ops, s.last_op_id" + FROM + "AND s.last_op_id > ? AND s.first_op_id <= ? "
            + "ORDER BY s.last_op_id";
    private static final String SUMMARIES = "SELECT s.first_op_id, s.last_op_id, s.op_count, s.checksum, s.has_clear"
            + FROM + "AND s.last_op_id > ? AND s.first_op_id <= ? ORDER BY s.last_op_id";
    private static final String BLOB = "SELECT ops FROM op_segments WHERE last_op_id = ?";
    private static final String LAST_UP_TO = "SELECT coalesce(max(s.last_op_id), 0)" + FROM + "AND s.last_op_id <= ?";

    /** Prepared statements by SQL, cached by the caller's connection. */
    interface Statements {
        PreparedStatement prepare(String sql) throws SQLException;
    }

    private OpSegments() {}

    static void bind(PreparedStatement insert, long bucketId, OpSegmentEncoder e) throws SQLException {
        insert.setLong(1, e.lastOpId());
        insert.setLong(2, bucketId);
        insert.setLong(3, e.firstOpId());
        insert.setInt(4, e.count());
        insert.setLong(5, e.checksum());
        insert.setInt(6, e.hasClear() ? 1 : 0);
        insert.setBytes(7, e.toBytes());
    }

    /**
     * Where a read of ops stopped inside a segment: the next read of the same bucket from there
     * (the sync producer reads a bucket chunk after chunk) continues with the decoded segment
     * instead of fetching and walking its blob again. Valid within one read transaction only.
     */
    static final class Resume {
        private String bucket;
        private long upTo;
        private long lastReturned;
        private long segmentLast;
        private OpSegmentReader reader;

        private boolean continues(String bucket, long after, long upTo) {
            return reader != null && lastReturned == after && this.upTo == upTo && this.bucket.equals(bucket);
        }
    }

    /** Ops with {@code after < id <= upTo}, ascending, at most {@code limit}. */
    static List<BucketOp> ops(Statements c, String bucket, long after, long upTo, int limit) throws SQLException {
        return ops(c, bucket, after, upTo, limit, null);
    }

    /** As {@link #ops(Statements, String, long, long, int)}, continuing from and updating {@code resume} (may be null). */
    static List<BucketOp> ops(Statements c, String bucket, long after, long upTo, int limit, Resume resume)
            throws SQLException {
        if (limit <= 0) {
            return new ArrayList<>();
        }
        List<BucketOp> out = new ArrayList<>(Math.min(limit, 1024));
        long segmentsAfter = after;
        if (resume != null && resume.continues(bucket, after, upTo)) {
            OpSegmentReader r = resume.reader;
            resume.reader = null;
            if (take(r, resume.segmentLast, bucket, after, upTo, limit, out, resume)) {
                return out;
            }
            segmentsAfter = resume.segmentLast; // that segment and those before it are read
        } else if (resume != null) {
            resume.reader = null;
        }
        PreparedStatement q = c.prepare(OPS);
        q.setString(1, bucket);
        q.setLong(2, segmentsAfter);
        q.setLong(3, upTo);
        try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                OpSegmentReader r = new OpSegmentReader(rs.getBytes(1));
                if (take(r, rs.getLong(2), bucket, after, upTo, limit, out, resume)) {
                    return out;
                }
            }
        }
        return out;
    }

    /** Adds the segment's ops in range to {@code out}; true when the read is complete (limit or upTo reached). */
    private static boolean take(OpSegmentReader r, long segmentLast, String bucket, long after, long upTo, int limit,
                                List<BucketOp> out, Resume resume) {
        while (r.next()) {
            if (r.opId() > upTo) {
                return true;
            }
            if (r.opId() > after) {
                out.add(r.op());
                if (out.size() == limit) {
                    if (resume != null) {
                        resume.bucket = bucket;
                        resume.upTo = upTo;
                        resume.lastReturned = r.opId();
                        resume.segmentLast = segmentLast;
                        resume.reader = r;
                    }
                    return true;
                }
            }
        }
        return false;
    }

    /** The ops with {@code after < id <= upTo} summed up. */
    static OpRange range(Statements c, String bucket, long after, long upTo) throws SQLException {
        long checksum = 0;
        long count = 0;
        long last = 0;
        boolean clear = false;
        List<Long> cut = new ArrayList<>(2);
        PreparedStatement q = c.prepare(SUMMARIES);
        q.setString(1, bucket);
        q.setLong(2, after);
        q.setLong(3, upTo);
        try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                long first = rs.getLong(1);
                long segmentLast = rs.getLong(2);
                if (first > after && segmentLast <= upTo) {
                    count += rs.getLong(3);
                    checksum = OpChecksum.add(checksum, rs.getLong(4));
                    clear |= rs.getInt(5) != 0;
                    last = Math.max(last, segmentLast);
                } else {
                    cut.add(segmentLast);
                }
            }
        }
        for (long segment : cut) {
            OpSegmentReader r = new OpSegmentReader(blob(c, segment));
            while (r.next() && r.opId() <= upTo) {
                if (r.opId() > after) {
                    count++;
                    checksum = OpChecksum.add(checksum, r.checksum());
                    clear |= r.type() == OpType.CLEAR.code();
                    last = Math.max(last, r.opId());
                }
            }
        }
        return new OpRange(checksum, count, last, clear);
    }

    /** The newest op id at or below {@code upTo}, 0 if none. */
    static long lastOpIdUpTo(Statements c, String bucket, long upTo) throws SQLException {
        PreparedStatement q = c.prepare(LAST_UP_TO);
        q.setString(1, bucket);
        q.setLong(2, upTo);
        long last;
        try (ResultSet rs = q.executeQuery()) {
            rs.next();
            last = rs.getLong(1);
        }
        // A segment cut by upTo (first <= upTo < last) holds newer ops at or below it than any
        // whole segment before it. Segments never overlap, so there is at most one.
        List<Long> cut = new ArrayList<>(1);
        PreparedStatement straddling = c.prepare(SUMMARIES);
        straddling.setString(1, bucket);
        straddling.setLong(2, upTo);
        straddling.setLong(3, upTo);
        try (ResultSet rs = straddling.executeQuery()) {
            while (rs.next()) {
                cut.add(rs.getLong(2));
            }
        }
        for (long segment : cut) {
            OpSegmentReader r = new OpSegmentReader(blob(c, segment));
            while (r.next() && r.opId() <= upTo) {
                last = Math.max(last, r.opId());
            }
        }
        return last;
    }

    private static byte[] blob(Statements c, long lastOpId) throws SQLException {
        PreparedStatement q = c.prepare(BLOB);
        q.setLong(1, lastOpId);
        try (ResultSet rs = q.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("op segment " + lastOpId + " vanished inside a read transaction");
            }
            return rs.getBytes(1);
        }
    }
}
