package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpId;
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
    /** Where the last read of ops stopped, for the next chunk of the same bucket. */
    private final OpSegments.Resume resume = new OpSegments.Resume();
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
                checkpoint = rs.wasNull() ? null : new Checkpoint(new OpId(op), new CommitPosition(rs.getLong(2)));
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
        try {
            return OpSegments.ops(c::prepare, bucket, after.value(), upTo.value(), limit, resume);
        } catch (SQLException e) {
            throw failed("reading ops of " + bucket, e);
        }
    }

    @Override
    public OpRange opRange(String bucket, OpId after, OpId upTo) {
        try {
            return OpSegments.range(c::prepare, bucket, after.value(), upTo.value());
        } catch (SQLException e) {
            throw failed("summing ops of " + bucket, e);
        }
    }

    @Override
    public OpRange stateAt(String bucket, OpId upTo) {
        try {
            // The stored totals cover every op in this view; ops newer than upTo (a commit that
            // was not a checkpoint) are taken back out. Both are reads of a few recent segments.
            PreparedStatement totals = c.prepare("SELECT checksum, op_count FROM buckets WHERE name = ?");
            totals.setString(1, bucket);
            long checksum;
            long count;
            try (ResultSet rs = totals.executeQuery()) {
                if (!rs.next()) {
                    return OpRange.EMPTY;
                }
                checksum = rs.getLong(1);
                count = rs.getLong(2);
            }
            OpRange newer = OpSegments.range(c::prepare, bucket, upTo.value(), Long.MAX_VALUE);
            return new OpRange((checksum - newer.checksum()) & 0xFFFF_FFFFL, count - newer.count(),
                    OpSegments.lastOpIdUpTo(c::prepare, bucket, upTo.value()), false);
        } catch (SQLException e) {
            throw failed("reading the state of " + bucket, e);
        }
    }

    @Override
    public List<SourceXid> sourceXids(OpId after, OpId upTo) {
        List<SourceXid> out = new ArrayList<>();
        try {
            PreparedStatement s = c.prepare("SELECT first_op_id, last_op_id, xid FROM source_xids"
                    + " WHERE last_op_id > ? AND first_op_id <= ? ORDER BY last_op_id");
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
    public List<BucketStats> largestBuckets(int limit) {
        List<BucketStats> out = new ArrayList<>();
        try {
            PreparedStatement ps = c.prepare(
                    "SELECT name, row_count, op_count FROM buckets ORDER BY op_count DESC, name LIMIT ?");
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
        try (ResultSet rs = c.prepare("SELECT snapshot, commit_lsn, acked_lsn FROM state WHERE id = 1").executeQuery()) {
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
