package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketChecksum;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.BucketStats;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.OpRange;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.SourceXid;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.WriterState;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A {@link ReadView} as one {@code REPEATABLE READ READ ONLY} transaction: every read sees the
 * snapshot taken at its first query, and under MVCC it never blocks the writer or is blocked by it.
 */
final class PostgresReadView implements ReadView {
    private final Connection c;
    private final Consumer<Connection> release;
    private final Runnable discarded;
    private final Checkpoint checkpoint;
    private boolean closed;

    /**
     * @param release   takes the connection back when the view closes cleanly
     * @param discarded told when the view closes its connection instead (not when this constructor fails)
     */
    PostgresReadView(Connection c, Consumer<Connection> release, Runnable discarded) {
        this.c = c;
        this.release = release;
        this.discarded = discarded;
        try {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                // The first query fixes the snapshot for the rest of the transaction.
                try (ResultSet rs = s.executeQuery("SELECT checkpoint_op_id, checkpoint_position FROM state WHERE id = 1")) {
                    rs.next();
                    long op = rs.getLong(1);
                    checkpoint = rs.wasNull() ? null : new Checkpoint(new OpId(op), new CommitPosition(rs.getLong(2)));
                }
            }
        } catch (SQLException e) {
            closeConnection();
            throw failed("opening a read view", e);
        }
    }

    @Override
    public java.util.Optional<Checkpoint> checkpoint() {
        return java.util.Optional.ofNullable(checkpoint);
    }

    @Override
    public BucketChecksum checksum(String bucket) {
        try (PreparedStatement s = c.prepareStatement("SELECT checksum, op_count FROM buckets WHERE name = ?")) {
            s.setString(1, bucket);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? new BucketChecksum(bucket, rs.getLong(1), rs.getLong(2)) : BucketChecksum.empty(bucket);
            }
        } catch (SQLException e) {
            throw failed("reading the checksum of " + bucket, e);
        }
    }

    @Override
    public long compactedUpTo(String bucket) {
        try (PreparedStatement s = c.prepareStatement("SELECT compacted_up_to FROM buckets WHERE name = ?")) {
            s.setString(1, bucket);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw failed("reading the compaction of " + bucket, e);
        }
    }

    /**
     * The bucket's next {@code ?} segments in op-id order: an index scan of the key, no array read.
     * Segments are taken a few at a time, not all in range at once: sorting the ops of every
     * segment in range to return the first {@code limit} made paging through a large bucket
     * quadratic (measured: 323 ms per 1,000-op page of a 600k-op bucket, whatever the page).
     */
    private static final String NEXT_SEGMENTS = "SELECT last_op_id FROM op_segments WHERE bucket = ? AND last_op_id > ? "
            + "AND first_op_id <= ? ORDER BY last_op_id LIMIT ?";
    /** The ops in range of the bucket's segments with {@code last_op_id} in [?, ?], in op-id order. */
    private static final String SEGMENT_OPS = "SELECT o.op_id, o.op_type, o.object_type, o.object_id, o.subkey, o.data, "
            + "o.checksum FROM " + PostgresOpSegments.OPS + " WHERE s.bucket = ? AND s.last_op_id >= ? "
            + "AND s.last_op_id <= ? AND o.op_id > ? AND o.op_id <= ? ORDER BY s.last_op_id, o.n LIMIT ?";
    private static final int MAX_SEGMENTS_PER_QUERY = 256;

    @Override
    public List<BucketOp> ops(String bucket, OpId after, OpId upTo, int limit) {
        List<BucketOp> out = new ArrayList<>();
        // A bucket's segments are disjoint in op ids: (segment, place in it) orders by op id. One
        // segment first (it often holds a whole page), twice as many each time more are needed.
        long segmentsAfter = after.value();
        int segments = 1;
        try (PreparedStatement next = c.prepareStatement(NEXT_SEGMENTS);
             PreparedStatement read = c.prepareStatement(SEGMENT_OPS)) {
            while (out.size() < limit) {
                next.setString(1, bucket);
                next.setLong(2, segmentsAfter);
                next.setLong(3, upTo.value());
                next.setInt(4, segments);
                long first = -1;
                long last = -1;
                int found = 0;
                try (ResultSet rs = next.executeQuery()) {
                    while (rs.next()) {
                        last = rs.getLong(1);
                        first = found == 0 ? last : first;
                        found++;
                    }
                }
                if (found == 0) {
                    break;
                }
                read.setString(1, bucket);
                read.setLong(2, first);
                read.setLong(3, last);
                read.setLong(4, after.value());
                read.setLong(5, upTo.value());
                read.setInt(6, limit - out.size());
                try (ResultSet rs = read.executeQuery()) {
                    while (rs.next()) {
                        out.add(op(rs));
                    }
                }
                if (found < segments) {
                    break;   // no segment in range is left
                }
                segmentsAfter = last;
                segments = Math.min(MAX_SEGMENTS_PER_QUERY, segments * 2);
            }
            return out;
        } catch (SQLException e) {
            throw failed("reading ops of " + bucket, e);
        }
    }

    private static BucketOp op(ResultSet rs) throws SQLException {
        OpId id = new OpId(rs.getLong(1));
        long checksum = rs.getLong(7);
        return switch (OpType.ofCode(rs.getInt(2))) {
            case PUT -> new BucketOp.Put(id, rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), checksum);
            case REMOVE -> new BucketOp.Remove(id, rs.getString(3), rs.getString(4), rs.getString(5), checksum);
            case MOVE -> new BucketOp.Move(id, checksum);
            case CLEAR -> new BucketOp.Clear(id, checksum);
        };
    }

    /** A bucket's ops with {@code after < op_id <= upTo}, set by {@link #inRange} as parameters 1-5. */
    private static final String IN_RANGE = "s.bucket = ? AND s.last_op_id > ? AND s.first_op_id <= ? "
            + "AND o.op_id > ? AND o.op_id <= ?";

    private static void inRange(PreparedStatement s, String bucket, long after, long upTo) throws SQLException {
        s.setString(1, bucket);
        s.setLong(2, after);
        s.setLong(3, upTo);
        s.setLong(4, after);
        s.setLong(5, upTo);
    }

    @Override
    public OpRange opRange(String bucket, OpId after, OpId upTo) {
        try (PreparedStatement s = c.prepareStatement("SELECT coalesce(sum(o.checksum) % 4294967296, 0)::bigint, count(*), "
                + "coalesce(max(o.op_id), 0), coalesce(bool_or(o.op_type = " + OpType.CLEAR.code() + "), false) "
                + "FROM " + PostgresOpSegments.OPS + " WHERE " + IN_RANGE)) {
            inRange(s, bucket, after.value(), upTo.value());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(2) == 0 ? OpRange.EMPTY
                        : new OpRange(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getBoolean(4));
            }
        } catch (SQLException e) {
            throw failed("summing ops of " + bucket, e);
        }
    }

    @Override
    public OpRange stateAt(String bucket, OpId upTo) {
        long checksum;
        long count;
        try (PreparedStatement s = c.prepareStatement("SELECT checksum, op_count FROM buckets WHERE name = ?")) {
            s.setString(1, bucket);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return OpRange.EMPTY;
                }
                checksum = rs.getLong(1);
                count = rs.getLong(2);
            }
        } catch (SQLException e) {
            throw failed("reading the state of " + bucket, e);
        }
        // The stored totals cover every op in this view; ops newer than upTo are taken back out.
        OpRange newer = opRange(bucket, upTo, new OpId(Long.MAX_VALUE));
        // The newest op at or below upTo: the last segment wholly at or below it (from the key's index),
        // or inside the one segment that may straddle it — not a scan of every segment's ops.
        try (PreparedStatement s = c.prepareStatement("SELECT coalesce(greatest("
                + "(SELECT max(last_op_id) FROM op_segments WHERE bucket = ? AND last_op_id <= ?), "
                + "(SELECT max(o.op_id) FROM op_segments s CROSS JOIN LATERAL unnest(s.op_ids) AS o(op_id) "
                + "WHERE s.bucket = ? AND s.last_op_id > ? AND s.first_op_id <= ? AND o.op_id <= ?)), 0)")) {
            s.setString(1, bucket);
            s.setLong(2, upTo.value());
            s.setString(3, bucket);
            s.setLong(4, upTo.value());
            s.setLong(5, upTo.value());
            s.setLong(6, upTo.value());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new OpRange((checksum - newer.checksum()) & 0xFFFF_FFFFL, count - newer.count(), rs.getLong(1), false);
            }
        } catch (SQLException e) {
            throw failed("reading the state of " + bucket, e);
        }
    }

    @Override
    public List<SourceXid> sourceXids(OpId after, OpId upTo) {
        List<SourceXid> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT first_op_id, last_op_id, xid FROM source_xids"
                + " WHERE last_op_id > ? AND first_op_id <= ? ORDER BY last_op_id")) {
            s.setLong(1, after.value());
            s.setLong(2, upTo.value());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new SourceXid(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed("reading source transaction ids", e);
        }
    }

    @Override
    public List<String> parameterValues(String lookupKey) {
        List<String> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT values_json FROM parameter_index WHERE lookup_key = ?")) {
            s.setString(1, lookupKey);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed("reading parameter lookup " + lookupKey, e);
        }
    }

    @Override
    public List<BucketStats> bucketStats() {
        List<BucketStats> out = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name, row_count, op_count FROM buckets ORDER BY name")) {
            while (rs.next()) {
                out.add(new BucketStats(rs.getString(1), rs.getLong(2), rs.getLong(3)));
            }
            return out;
        } catch (SQLException e) {
            throw failed("reading bucket statistics", e);
        }
    }

    @Override
    public List<BucketStats> largestBuckets(int limit) {
        List<BucketStats> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT name, row_count, op_count FROM buckets ORDER BY op_count DESC, name LIMIT ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new BucketStats(rs.getString(1), rs.getLong(2), rs.getLong(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed("reading the largest buckets", e);
        }
    }

    @Override
    public WriterState writerState() {
        try (PreparedStatement ps = c.prepareStatement("SELECT snapshot, commit_position, acked_position FROM state WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return WriterState.EMPTY;
            }
            String snapshot = rs.getString(1);
            CommitPosition commit = new CommitPosition(rs.getLong(2));
            long acked = rs.getLong(3);
            return new WriterState(snapshot, commit, rs.wasNull() ? null : new CommitPosition(acked));
        } catch (SQLException e) {
            throw failed("reading the stored replication state", e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            c.rollback();
            release.accept(c);
        } catch (SQLException e) {
            closeConnection(); // the connection is in an unknown state: discard it
            discarded.run();
        }
    }

    private void closeConnection() {
        try {
            c.close();
        } catch (SQLException ignored) {
            // already broken
        }
    }

    private static StorageException failed(String what, SQLException e) {
        return new StorageException("storage read failed (" + what + "): " + PostgresConnections.message(e), e);
    }
}
