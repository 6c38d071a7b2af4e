package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketCompactor;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.StorageException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@link BucketCompactor} on its own connection, one short write transaction per bucket.
 *
 * <p>Memory grows with the number of distinct rows in the bucket being compacted (the set of row
 * keys already seen while scanning it newest first), not with the size of the log.
 */
final class SqliteCompactor implements BucketCompactor {
    private final Supplier<Connection> connect;

    SqliteCompactor(Supplier<Connection> connect) {
        this.connect = connect;
    }

    @Override
    public synchronized CompactionResult compactAll() {
        try (Connection c = connect.get()) {
            List<Long> ids = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM buckets ORDER BY id")) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            CompactionResult total = new CompactionResult(0, 0, 0);
            for (long id : ids) {
                total = total.plus(compact(c, id));
            }
            return total;
        } catch (SQLException e) {
            throw new StorageException("compaction failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized CompactionResult compact(String bucket) {
        try (Connection c = connect.get();
             PreparedStatement s = c.prepareStatement("SELECT id FROM buckets WHERE name = ?")) {
            s.setString(1, bucket);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? compact(c, rs.getLong(1)) : new CompactionResult(0, 0, 0);
            }
        } catch (SQLException e) {
            throw new StorageException("compaction of " + bucket + " failed: " + e.getMessage(), e);
        }
    }

    private CompactionResult compact(Connection c, long bucketId) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                long upTo;
                try (ResultSet rs = s.executeQuery("SELECT checkpoint_op_id FROM state WHERE id = 1")) {
                    rs.next();
                    upTo = rs.getLong(1);
                    if (rs.wasNull()) {
                        s.execute("ROLLBACK");
                        return new CompactionResult(0, 0, 0);
                    }
                }
                long moved = moveSuperseded(c, bucketId, upTo);
                long cleared = clearPrefix(c, bucketId, upTo);
                s.execute("COMMIT");
                return new CompactionResult(1, moved, cleared);
            } catch (SQLException | RuntimeException e) {
                s.execute("ROLLBACK");
                throw e;
            }
        }
    }

    /**
     * Newest first: a PUT/REMOVE whose row key was already seen is superseded. Only whole segments
     * at or below the checkpoint are looked at (a commit's segments all lie on one side of it).
     */
    private static long moveSuperseded(Connection c, long bucketId, long upTo) throws SQLException {
        List<Long> segments = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement("SELECT last_op_id FROM op_segments "
                + "WHERE bucket_id = ? AND last_op_id <= ? ORDER BY last_op_id DESC")) {
            q.setLong(1, bucketId);
            q.setLong(2, upTo);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    segments.add(rs.getLong(1));
                }
            }
        }
        long moved = 0;
        Set<String> seen = new HashSet<>();
        try (PreparedStatement read = c.prepareStatement("SELECT ops FROM op_segments WHERE last_op_id = ?");
             PreparedStatement write = c.prepareStatement("UPDATE op_segments SET ops = ? WHERE last_op_id = ?")) {
            for (long segment : segments) {
                List<BucketOp> ops = decode(read, segment);
                int before = 0;
                for (int i = ops.size() - 1; i >= 0; i--) {
                    String key = switch (ops.get(i)) {
                        case BucketOp.Put p -> p.objectType() + '\u0000' + p.objectId() + '\u0000' + p.subkey();
                        case BucketOp.Remove r -> r.objectType() + '\u0000' + r.objectId() + '\u0000' + r.subkey();
                        default -> null;
                    };
                    if (key != null && !seen.add(key)) {
                        ops.set(i, new BucketOp.Move(ops.get(i).opId(), ops.get(i).checksum()));
                        before++;
                    }
                }
                if (before > 0) {
                    // Same ids, count and checksum sum: only the blob changes.
                    write.setBytes(1, encode(ops).toBytes());
                    write.setLong(2, segment);
                    write.executeUpdate();
                    moved += before;
                }
            }
        }
        return moved;
    }

    /**
     * The longest prefix without a PUT holds no row a client could still need, so it becomes one
     * CLEAR carrying the prefix's summed checksum; the bucket's total stays the same. The CLEAR
     * takes the place of the prefix's last op in that op's segment; earlier segments go.
     */
    private static long clearPrefix(Connection c, long bucketId, long upTo) throws SQLException {
        long count = 0;
        long sum = 0;
        long lastId = -1;
        long lastSegment = -1;
        try (PreparedStatement q = c.prepareStatement("SELECT last_op_id, ops FROM op_segments "
                + "WHERE bucket_id = ? AND last_op_id <= ? ORDER BY last_op_id")) {
            q.setLong(1, bucketId);
            q.setLong(2, upTo);
            try (ResultSet rs = q.executeQuery()) {
                scan:
                while (rs.next()) {
                    OpSegmentReader r = new OpSegmentReader(rs.getBytes(2));
                    while (r.next()) {
                        if (r.type() == OpType.PUT.code()) {
                            break scan;
                        }
                        count++;
                        sum = OpChecksum.add(sum, r.checksum());
                        lastId = r.opId();
                        lastSegment = rs.getLong(1);
                    }
                }
            }
        }
        if (count < 2) {
            return 0;
        }
        try (PreparedStatement read = c.prepareStatement("SELECT ops FROM op_segments WHERE last_op_id = ?");
             PreparedStatement d = c.prepareStatement("DELETE FROM op_segments WHERE bucket_id = ? AND last_op_id < ?");
             PreparedStatement u = c.prepareStatement("UPDATE op_segments SET first_op_id = ?, op_count = ?, "
                     + "checksum = ?, has_clear = ?, ops = ? WHERE last_op_id = ?");
             PreparedStatement b = c.prepareStatement("UPDATE buckets SET op_count = op_count - ? WHERE id = ?")) {
            List<BucketOp> rest = new ArrayList<>();
            rest.add(new BucketOp.Clear(new OpId(lastId), sum));
            for (BucketOp op : decode(read, lastSegment)) {
                if (op.opId().value() > lastId) {
                    rest.add(op);
                }
            }
            OpSegmentEncoder e = encode(rest);
            d.setLong(1, bucketId);
            d.setLong(2, lastSegment);
            d.executeUpdate();
            u.setLong(1, e.firstOpId());
            u.setInt(2, e.count());
            u.setLong(3, e.checksum());
            u.setInt(4, e.hasClear() ? 1 : 0);
            u.setBytes(5, e.toBytes());
            u.setLong(6, lastSegment);
            u.executeUpdate();
            b.setLong(1, count - 1);
            b.setLong(2, bucketId);
            b.executeUpdate();
        }
        return count - 1;
    }

    private static List<BucketOp> decode(PreparedStatement read, long segment) throws SQLException {
        read.setLong(1, segment);
        try (ResultSet rs = read.executeQuery()) {
            rs.next();
            return OpSegmentReader.all(rs.getBytes(1));
        }
    }

    private static OpSegmentEncoder encode(List<BucketOp> ops) {
        OpSegmentEncoder e = new OpSegmentEncoder(ops.size() * 64);
        ops.forEach(e::add);
        return e;
    }
}
