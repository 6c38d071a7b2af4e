package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.storage.BucketChecksum;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.BucketStats;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.OpRange;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.StorageException;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A {@link ReadView} as one SQLite read transaction on a reader connection: under WAL it sees the
 * last commit before its first read and never blocks the writer.
 */
final class SqliteReadView implements ReadView {
    private final SqliteReader c;
    private final Consumer<SqliteReader> release;
    private final Checkpoint checkpoint;
    private boolean closed;

    /** @param release takes the reader back when the view closes cleanly; otherwise the reader is closed */
    SqliteReadView(SqliteReader c, Consumer<SqliteReader> release) {
        this.c = c;
        this.release = release;
        try {
            c.prepare("BEGIN").execute();
            // The first read fixes the snapshot for the rest of the transaction.
            try (ResultSet rs = c.prepare("SELECT checkpoint_op_id, checkpoint_lsn FROM state WHERE id = 1").executeQuery()) {
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
        try {
            PreparedStatement s = c.prepare("SELECT checksum, op_count FROM buckets WHERE name = ?");
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
        List<BucketOp> out = new ArrayList<>(Math.min(limit, 1024));
        try {
            PreparedStatement opsQuery = c.prepare("SELECT o.op_id, o.op, o.object_type, o.object_id, o.subkey, "
                    + "o.data, o.checksum FROM buckets b JOIN ops o ON o.bucket_id = b.id "
                    + "WHERE b.name = ? AND o.op_id > ? AND o.op_id <= ? ORDER BY o.op_id LIMIT ?");
            opsQuery.setString(1, bucket);
            opsQuery.setLong(2, after.value());
            opsQuery.setLong(3, upTo.value());
            opsQuery.setInt(4, limit);
            try (ResultSet rs = opsQuery.executeQuery()) {
                while (rs.next()) {
                    out.add(toOp(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed("reading ops of " + bucket, e);
        }
    }

    private static final String RANGE_SQL = "SELECT coalesce(sum(o.checksum), 0), count(*), coalesce(max(o.op_id), 0), "
            + "coalesce(max(o.op = " + OpType.CLEAR.code() + "), 0) FROM buckets b JOIN ops o ON o.bucket_id = b.id "
            + "WHERE b.name = ? AND o.op_id > ? AND o.op_id <= ?";

    @Override
    public OpRange opRange(String bucket, OpId after, OpId upTo) {
        try {
            PreparedStatement rangeQuery = c.prepare(RANGE_SQL);
            rangeQuery.setString(1, bucket);
            rangeQuery.setLong(2, after.value());
            rangeQuery.setLong(3, upTo.value());
            try (ResultSet rs = rangeQuery.executeQuery()) {
                rs.next();
                return new OpRange(rs.getLong(1) & 0xFFFF_FFFFL, rs.getLong(2), rs.getLong(3), rs.getInt(4) != 0);
            }
        } catch (SQLException e) {
            throw failed("summing ops of " + bucket, e);
        }
    }

    @Override
    public OpRange stateAt(String bucket, OpId upTo) {
        try {
            // The stored totals cover every op in this view; ops newer than upTo (a commit that
            // was not a checkpoint) are taken back out. Both sub-reads are range reads on the key.
            PreparedStatement stateQuery = c.prepare("SELECT b.checksum, b.op_count, "
                    + "(SELECT coalesce(sum(checksum), 0) FROM ops WHERE bucket_id = b.id AND op_id > ?1), "
                    + "(SELECT count(*) FROM ops WHERE bucket_id = b.id AND op_id > ?1), "
                    + "(SELECT coalesce(max(op_id), 0) FROM ops WHERE bucket_id = b.id AND op_id <= ?1) "
                    + "FROM buckets b WHERE b.name = ?2");
            stateQuery.setLong(1, upTo.value());
            stateQuery.setString(2, bucket);
            try (ResultSet rs = stateQuery.executeQuery()) {
                if (!rs.next()) {
                    return OpRange.EMPTY;
                }
                return new OpRange((rs.getLong(1) - rs.getLong(3)) & 0xFFFF_FFFFL, rs.getLong(2) - rs.getLong(4),
                        rs.getLong(5), false);
            }
        } catch (SQLException e) {
            throw failed("reading the state of " + bucket, e);
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
        try {
            PreparedStatement s = c.prepare("SELECT values_json FROM parameter_index WHERE lookup_key = ?");
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
        try (ResultSet rs = c.prepare("SELECT name, row_count, op_count FROM buckets ORDER BY name").executeQuery()) {
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
        try {
            c.prepare("ROLLBACK").execute();
            release.accept(c);
        } catch (SQLException e) {
            c.close(); // the connection is in an unknown state: discard it
        }
    }

    private static StorageException failed(String what, SQLException e) {
        return new StorageException("storage read failed (" + what + "): " + e.getMessage(), e);
    }
}
