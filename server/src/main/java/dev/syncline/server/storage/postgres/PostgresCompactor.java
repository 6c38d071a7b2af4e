package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketCompactor;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.StorageFencedException;
import dev.syncline.server.storage.WriterFence;

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
 *
 * <p>Fenced like the writer: every compaction transaction checks the {@link WriterFence} before
 * its first change, so only the replicator lease holder compacts. Nodes that do not hold the lease
 * are refused ({@link StorageFencedException}, before they take the state row from the writer),
 * and a node that lost the lease cannot commit compaction after another node took over.
 */
final class PostgresCompactor implements BucketCompactor {
    private final Supplier<Connection> connect;
    private final WriterFence fence;

    PostgresCompactor(Supplier<Connection> connect, WriterFence fence) {
        this.connect = connect;
        this.fence = fence;
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
            // First: a node without the lease neither waits for nor blocks the writer's state row. The
            // share lock on the lease row is held until this transaction ends, so a take-over waits for it.
            fence.check(c);
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
            // Every op this or an earlier run superseded was superseded at or below upTo; a run that
            // changed nothing keeps the older (lower) mark unless it was unknown.
            try (PreparedStatement mark = c.prepareStatement("UPDATE buckets SET compacted_up_to = ? WHERE name = ? "
                    + "AND (? OR compacted_up_to > ?)")) {
                mark.setLong(1, upTo);
                mark.setString(2, bucket);
                mark.setBoolean(3, moved + cleared > 0);
                mark.setLong(4, upTo);
                mark.executeUpdate();
            }
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
        try (PreparedStatement q = c.prepareStatement("SELECT o.op_id, o.object_type, o.object_id, o.subkey FROM "
                + PostgresOpSegments.OPS + " WHERE s.bucket = ? AND s.first_op_id <= ? AND o.op_id <= ? "
                + "AND o.op_type IN (" + OpType.PUT.code() + ", " + OpType.REMOVE.code() + ") "
                + "ORDER BY s.last_op_id DESC, o.n DESC")) {
            q.setString(1, bucket);
            q.setLong(2, upTo);
            q.setLong(3, upTo);
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
        // Each segment holding a superseded op is rewritten with that op as a MOVE (id and checksum kept).
        String move = "CASE WHEN o.op_id = ANY(x.ids) THEN ";
        try (PreparedStatement u = c.prepareStatement("UPDATE op_segments t SET op_types = m.op_types, "
                + "object_types = m.object_types, object_ids = m.object_ids, subkeys = m.subkeys, datas = m.datas "
                + "FROM (SELECT s.last_op_id, "
                + "array_agg(" + move + OpType.MOVE.code() + "::smallint ELSE o.op_type END ORDER BY o.n) AS op_types, "
                + "array_agg(" + move + "NULL ELSE o.object_type END ORDER BY o.n) AS object_types, "
                + "array_agg(" + move + "NULL ELSE o.object_id END ORDER BY o.n) AS object_ids, "
                + "array_agg(" + move + "NULL ELSE o.subkey END ORDER BY o.n) AS subkeys, "
                + "array_agg(" + move + "NULL ELSE o.data END ORDER BY o.n) AS datas "
                + "FROM (SELECT ?::bigint[] AS ids) x, " + PostgresOpSegments.OPS
                + " WHERE s.bucket = ? AND s.op_ids && x.ids GROUP BY s.last_op_id) m "
                + "WHERE t.bucket = ? AND t.last_op_id = m.last_op_id")) {
            Array ids = c.createArrayOf("bigint", superseded.toArray());
            u.setArray(1, ids);
            u.setString(2, bucket);
            u.setString(3, bucket);
            u.executeUpdate();
        }
        return superseded.size();
    }

    /**
     * The longest prefix without a PUT holds no row a client could still need, so it becomes one
     * CLEAR with the prefix's last op id and summed checksum; the bucket's total stays the same.
     * The CLEAR is a segment of its own; a segment the prefix ends inside keeps its later ops.
     */
    private static long clearPrefix(Connection c, String bucket, long upTo) throws SQLException {
        long count = 0;
        long sum = 0;
        long lastId = -1;
        try (PreparedStatement q = c.prepareStatement("SELECT o.op_id, o.op_type, o.checksum FROM "
                + PostgresOpSegments.OPS + " WHERE s.bucket = ? AND s.first_op_id <= ? AND o.op_id <= ? "
                + "ORDER BY s.last_op_id, o.n")) {
            q.setString(1, bucket);
            q.setLong(2, upTo);
            q.setLong(3, upTo);
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
        try (PreparedStatement d = c.prepareStatement("DELETE FROM op_segments WHERE bucket = ? AND last_op_id <= ?");
             PreparedStatement trim = c.prepareStatement("UPDATE op_segments t SET first_op_id = m.first_op_id, "
                     + "op_ids = m.op_ids, op_types = m.op_types, object_types = m.object_types, "
                     + "object_ids = m.object_ids, subkeys = m.subkeys, datas = m.datas, checksums = m.checksums "
                     + "FROM (SELECT s.last_op_id, min(o.op_id) AS first_op_id, array_agg(o.op_id ORDER BY o.n) AS op_ids, "
                     + "array_agg(o.op_type ORDER BY o.n) AS op_types, array_agg(o.object_type ORDER BY o.n) AS object_types, "
                     + "array_agg(o.object_id ORDER BY o.n) AS object_ids, array_agg(o.subkey ORDER BY o.n) AS subkeys, "
                     + "array_agg(o.data ORDER BY o.n) AS datas, array_agg(o.checksum ORDER BY o.n) AS checksums FROM "
                     + PostgresOpSegments.OPS + " WHERE s.bucket = ? AND s.first_op_id <= ? AND s.last_op_id > ? "
                     + "AND o.op_id > ? GROUP BY s.last_op_id) m WHERE t.bucket = ? AND t.last_op_id = m.last_op_id");
             PreparedStatement i = c.prepareStatement("INSERT INTO op_segments (bucket, last_op_id, first_op_id, op_ids, "
                     + "op_types, object_types, object_ids, subkeys, datas, checksums) VALUES (?, ?, ?, ARRAY[?::bigint], "
                     + "ARRAY[" + OpType.CLEAR.code() + "::smallint], ARRAY[NULL::text], ARRAY[NULL::text], "
                     + "ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[?::bigint])");
             PreparedStatement b = c.prepareStatement("UPDATE buckets SET op_count = op_count - ? WHERE name = ?")) {
            d.setString(1, bucket);
            d.setLong(2, lastId);
            d.executeUpdate();
            trim.setString(1, bucket);
            trim.setLong(2, lastId);
            trim.setLong(3, lastId);
            trim.setLong(4, lastId);
            trim.setString(5, bucket);
            trim.executeUpdate();
            i.setString(1, bucket);
            i.setLong(2, lastId);
            i.setLong(3, lastId);
            i.setLong(4, lastId);
            i.setLong(5, sum);
            i.executeUpdate();
            b.setLong(1, count - 1);
            b.setString(2, bucket);
            b.executeUpdate();
        }
        return count - 1;
    }
}
