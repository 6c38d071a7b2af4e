package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketCompactor;
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

    /** Newest first: a PUT/REMOVE whose row key was already seen is superseded. */
    private static long moveSuperseded(Connection c, long bucketId, long upTo) throws SQLException {
        List<Long> superseded = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (PreparedStatement q = c.prepareStatement("SELECT op_id, op, object_type, object_id, subkey FROM ops "
                + "WHERE bucket_id = ? AND op_id <= ? AND op IN (?, ?) ORDER BY op_id DESC")) {
            q.setLong(1, bucketId);
            q.setLong(2, upTo);
            q.setInt(3, OpType.PUT.code());
            q.setInt(4, OpType.REMOVE.code());
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    String key = rs.getString(3) + '\u0000' + rs.getString(4) + '\u0000' + rs.getString(5);
                    if (!seen.add(key)) {
                        superseded.add(rs.getLong(1));
                    }
                }
            }
        }
        try (PreparedStatement u = c.prepareStatement("UPDATE ops SET op = ?, object_type = NULL, object_id = NULL, "
                + "subkey = NULL, data = NULL WHERE bucket_id = ? AND op_id = ?")) {
            for (long id : superseded) {
                u.setInt(1, OpType.MOVE.code());
                u.setLong(2, bucketId);
                u.setLong(3, id);
                u.executeUpdate();
            }
        }
        return superseded.size();
    }

    /**
     * The longest prefix without a PUT holds no row a client could still need, so it becomes one
     * CLEAR carrying the prefix's summed checksum; the bucket's total stays the same.
     */
    private static long clearPrefix(Connection c, long bucketId, long upTo) throws SQLException {
        long count = 0;
        long sum = 0;
        long lastId = -1;
        try (PreparedStatement q = c.prepareStatement("SELECT op_id, op, checksum FROM ops "
                + "WHERE bucket_id = ? AND op_id <= ? ORDER BY op_id")) {
            q.setLong(1, bucketId);
            q.setLong(2, upTo);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next() && rs.getInt(2) != OpType.PUT.code()) {
                    count++;
                    sum = OpChecksum.add(sum, rs.getLong(3));
                    lastId = rs.getLong(1);
                }
            }
        }
        if (count < 2) {
            return 0;
        }
        try (PreparedStatement d = c.prepareStatement("DELETE FROM ops WHERE bucket_id = ? AND op_id < ?");
             PreparedStatement u = c.prepareStatement("UPDATE ops SET op = ?, object_type = NULL, object_id = NULL, "
                     + "subkey = NULL, data = NULL, checksum = ? WHERE bucket_id = ? AND op_id = ?");
             PreparedStatement b = c.prepareStatement("UPDATE buckets SET op_count = op_count - ? WHERE id = ?")) {
            d.setLong(1, bucketId);
            d.setLong(2, lastId);
            d.executeUpdate();
            u.setInt(1, OpType.CLEAR.code());
            u.setLong(2, sum);
            u.setLong(3, bucketId);
            u.setLong(4, lastId);
            u.executeUpdate();
            b.setLong(1, count - 1);
            b.setLong(2, bucketId);
            b.executeUpdate();
        }
        return count - 1;
    }
}
