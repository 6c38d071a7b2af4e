package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketCompactor;
import dev.syncline.server.storage.StorageException;

import java.sql.Array;
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
 * {@link BucketCompactor} on a connection of its own, one short transaction per bucket that
 * locks the {@code state} row (as a write transaction does), so it never interleaves with one.
 * Same rules as the SQLite backend (see {@link BucketCompactor}).
 */
final class PostgresCompactor implements BucketCompactor {
    private final Supplier<Connection> connect;

    PostgresCompactor(Supplier<Connection> connect) {
        this.connect = connect;
    }

    @Override
    public synchronized CompactionResult compactAll() {
        try (Connection c = connect.get()) {
            List<String> names = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT name FROM buckets ORDER BY name")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            CompactionResult total = new CompactionResult(0, 0, 0);
            for (String name : names) {
                total = total.plus(compact(c, name));
            }
            return total;
        } catch (SQLException e) {
            throw new StorageException("compaction failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized CompactionResult compact(String bucket) {
        try (Connection c = connect.get()) {
            return compact(c, bucket);
        } catch (SQLException e) {
            throw new StorageException("compaction of " + bucket + " failed: " + e.getMessage(), e);
        }
    }

    private CompactionResult compact(Connection c, String bucket) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            long upTo;
            try (ResultSet rs = s.executeQuery("SELECT checkpoint_op_id FROM state WHERE id = 1 FOR UPDATE")) {
                rs.next();
                upTo = rs.getLong(1);
                if (rs.wasNull()) {
                    c.rollback();
                    return new CompactionResult(0, 0, 0);
                }
            }
            try (PreparedStatement exists = c.prepareStatement("SELECT 1 FROM buckets WHERE name = ?")) {
                exists.setString(1, bucket);
                try (ResultSet rs = exists.executeQuery()) {
                    if (!rs.next()) {
                        c.rollback();
                        return new CompactionResult(0, 0, 0);
                    }
                }
            }
            long moved = moveSuperseded(c, bucket, upTo);
            long cleared = clearPrefix(c, bucket, upTo);
            c.commit();
            return new CompactionResult(1, moved, cleared);
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Newest first: a PUT/REMOVE whose row key was already seen is superseded and becomes a MOVE. */
    private static long moveSuperseded(Connection c, String bucket, long upTo) throws SQLException {
        List<Long> superseded = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (PreparedStatement q = c.prepareStatement("SELECT op_id, object_type, object_id, subkey FROM ops "
                + "WHERE bucket = ? AND op_id <= ? AND op_type IN (" + OpType.PUT.code() + ", " + OpType.REMOVE.code()
                + ") ORDER BY op_id DESC")) {
            q.setString(1, bucket);
            q.setLong(2, upTo);
            q.setFetchSize(1000);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    String key = rs.getString(2) + '\u0000' + rs.getString(3) + '\u0000' + rs.getString(4);
                    if (!seen.add(key)) {
                        superseded.add(rs.getLong(1));
                    }
                }
            }
        }
        if (superseded.isEmpty()) {
            return 0;
        }
        try (PreparedStatement u = c.prepareStatement("UPDATE ops SET op_type = " + OpType.MOVE.code()
                + ", object_type = NULL, object_id = NULL, subkey = NULL, data = NULL WHERE bucket = ? AND op_id = ANY(?)")) {
            Array ids = c.createArrayOf("bigint", superseded.toArray());
            u.setString(1, bucket);
            u.setArray(2, ids);
            u.executeUpdate();
        }
        return superseded.size();
    }

    /**
     * The longest prefix without a PUT holds no row a client could still need, so it becomes one
     * CLEAR with the prefix's last op id and summed checksum; the bucket's total stays the same.
     */
    private static long clearPrefix(Connection c, String bucket, long upTo) throws SQLException {
        long count = 0;
        long sum = 0;
        long lastId = -1;
        try (PreparedStatement q = c.prepareStatement("SELECT op_id, op_type, checksum FROM ops "
                + "WHERE bucket = ? AND op_id <= ? ORDER BY op_id")) {
            q.setString(1, bucket);
            q.setLong(2, upTo);
            q.setFetchSize(1000);
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
        try (PreparedStatement d = c.prepareStatement("DELETE FROM ops WHERE bucket = ? AND op_id <= ?");
             PreparedStatement i = c.prepareStatement("INSERT INTO ops (bucket, op_id, op_type, checksum) VALUES (?, ?, "
                     + OpType.CLEAR.code() + ", ?)");
             PreparedStatement b = c.prepareStatement("UPDATE buckets SET op_count = op_count - ? WHERE name = ?")) {
            d.setString(1, bucket);
            d.setLong(2, lastId);
            d.executeUpdate();
            i.setString(1, bucket);
            i.setLong(2, lastId);
            i.setLong(3, sum);
            i.executeUpdate();
            b.setLong(1, count - 1);
            b.setString(2, bucket);
            b.executeUpdate();
        }
        return count - 1;
    }
}
