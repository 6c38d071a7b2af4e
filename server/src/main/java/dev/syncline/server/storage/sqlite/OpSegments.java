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
    private static final String OPS = "SELECT s.ops" + FROM + "AND s.last_op_id > ? AND s.first_op_id <= ? "
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

    /** Ops with {@code after < id <= upTo}, ascending, at most {@code limit}. */
    static List<BucketOp> ops(Statements c, String bucket, long after, long upTo, int limit) throws SQLException {
        if (limit <= 0) {
            return new ArrayList<>();
        }
        List<BucketOp> out = new ArrayList<>(Math.min(limit, 1024));
        PreparedStatement q = c.prepare(OPS);
        q.setString(1, bucket);
        q.setLong(2, after);
        q.setLong(3, upTo);
        try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                OpSegmentReader r = new OpSegmentReader(rs.getBytes(1));
                while (r.next()) {
                    if (r.opId() > upTo) {
                        return out;
                    }
                    if (r.opId() > after) {
                        out.add(r.op());
                        if (out.size() == limit) {
                            return out;
                        }
                    }
                }
            }
        }
        return out;
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
