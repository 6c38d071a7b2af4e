package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.storage.BucketChecksum;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.BucketStats;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.StorageException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A {@link ReadView} as one SQLite read transaction on a reader connection: under WAL it sees the
 * last commit before its first read and never blocks the writer.
 */
final class SqliteReadView implements ReadView {
    private final Connection c;
    private final Consumer<Connection> release;
    private final Checkpoint checkpoint;
    private boolean closed;

    SqliteReadView(Connection c, Consumer<Connection> release) {
        this.c = c;
        this.release = release;
        try (Statement s = c.createStatement()) {
            s.execute("BEGIN");
            // The first read fixes the snapshot for the rest of the transaction.
            try (ResultSet rs = s.executeQuery("SELECT checkpoint_op_id, checkpoint_lsn FROM state WHERE id = 1")) {
                rs.next();
                long op = rs.getLong(1);
                checkpoint = rs.wasNull() ? null : new Checkpoint(new OpId(op), new Lsn(rs.getLong(2)));
            }
        } catch (SQLException e) {
            close();
            throw failed("opening a read view", e);
        }
    }

    @Override
    public Optional<Checkpoint> checkpoint() {
        return Optional.ofNullable(checkpoint);
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
    public List<BucketOp> ops(String bucket, OpId after, OpId upTo, int limit) {
        List<BucketOp> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT o.op_id, o.op, o.object_type, o.object_id, o.subkey, "
                + "o.data, o.checksum FROM buckets b JOIN ops o ON o.bucket_id = b.id "
                + "WHERE b.name = ? AND o.op_id > ? AND o.op_id <= ? ORDER BY o.op_id LIMIT ?")) {
            s.setString(1, bucket);
            s.setLong(2, after.value());
            s.setLong(3, upTo.value());
            s.setInt(4, limit);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(toOp(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed("reading ops of " + bucket, e);
        }
    }

    static BucketOp toOp(ResultSet rs) throws SQLException {
        OpId id = new OpId(rs.getLong(1));
        long checksum = rs.getLong(7);
        return switch (OpType.ofCode(rs.getInt(2))) {
            case PUT -> new BucketOp.Put(id, rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), checksum);
            case REMOVE -> new BucketOp.Remove(id, rs.getString(3), rs.getString(4), rs.getString(5), checksum);
            case MOVE -> new BucketOp.Move(id, checksum);
            case CLEAR -> new BucketOp.Clear(id, checksum);
        };
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
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Statement s = c.createStatement()) {
            s.execute("ROLLBACK");
            release.accept(c);
        } catch (SQLException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already failing; the connection is discarded
            }
        }
    }

    private static StorageException failed(String what, SQLException e) {
        return new StorageException("storage read failed (" + what + "): " + e.getMessage(), e);
    }
}
