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
 * {@link BucketCompactor} on its own connection, in short write transactions: each does a bounded
 * amount of work ({@value #OPS_PER_TRANSACTION} ops, rounded up to whole segments) and releases the
 * SQLite write lock, so the storage writer waits at most one such transaction however large the
 * bucket. Taking the lock retries {@code SQLITE_BUSY}.
 *
 * <p>Splitting is safe because compaction only rewrites segments at or below the checkpoint it
 * read first, which nothing else changes: each transaction leaves a valid, partly compacted log
 * (superseded ops become MOVEs one segment at a time; a shorter PUT-free prefix is folded into a
 * CLEAR and the next step folds that CLEAR with what follows), with every checksum unchanged.
 *
 * <p>Memory grows with the number of distinct rows in the bucket being compacted (the set of row
 * keys already seen while scanning it newest first), not with the size of the log.
 */
final class SqliteCompactor implements BucketCompactor {
    static final int OPS_PER_TRANSACTION = 4096;
    private static final int SQLITE_BUSY = 5;
    private static final int BUSY_ATTEMPTS = 5;

    private final Supplier<Connection> connect;
    private final int opsPerTransaction;
    private final Runnable betweenTransactions;

    SqliteCompactor(Supplier<Connection> connect) {
        this(connect, OPS_PER_TRANSACTION, () -> { });
    }

    /** @param betweenTransactions runs after each compaction transaction committed (tests interleave writes there) */
    SqliteCompactor(Supplier<Connection> connect, int opsPerTransaction, Runnable betweenTransactions) {
        this.connect = connect;
        this.opsPerTransaction = opsPerTransaction;
        this.betweenTransactions = betweenTransactions;
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
            long id;
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return new CompactionResult(0, 0, 0);
                }
                id = rs.getLong(1);
            }
            return compact(c, id);
        } catch (SQLException e) {
            throw new StorageException("compaction of " + bucket + " failed: " + e.getMessage(), e);
        }
    }

    private CompactionResult compact(Connection c, long bucketId) throws SQLException {
        long upTo;
        // Read outside a write transaction: the checkpoint only grows, and the segments at or below
        // this one are committed and stay as they are except for what this compactor does.
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT checkpoint_op_id FROM state WHERE id = 1")) {
            rs.next();
            upTo = rs.getLong(1);
            if (rs.wasNull()) {
                return new CompactionResult(0, 0, 0);
            }
        }
        long moved = moveSuperseded(c, bucketId, upTo);
        long cleared = 0;
        ClearStep step;
        do {
            step = inTransaction(c, () -> clearPrefixStep(c, bucketId, upTo));
            cleared += step.cleared();
        } while (step.more());
        return new CompactionResult(1, moved, cleared);
    }

    private interface Work<T> {
        T run() throws SQLException;
    }

    /** One short write transaction: takes the lock (retrying {@code SQLITE_BUSY}), runs, commits. */
    private <T> T inTransaction(Connection c, Work<T> work) throws SQLException {
        try (Statement s = c.createStatement()) {
            beginImmediate(s);
            T result;
            try {
                result = work.run();
                s.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                s.execute("ROLLBACK");
                throw e;
            }
            betweenTransactions.run();
            return result;
        }
    }

    /**
     * The busy timeout already waits for the writer; should the lock still be busy (a writer
     * transaction longer than the timeout), compaction backs off and tries again rather than fail,
     * since it can always run later.
     */
    private static void beginImmediate(Statement s) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                s.execute("BEGIN IMMEDIATE");
                return;
            } catch (SQLException e) {
                if ((e.getErrorCode() & 0xff) != SQLITE_BUSY || attempt >= BUSY_ATTEMPTS) {
                    throw e;
                }
                try {
                    Thread.sleep(100L << attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Newest first: a PUT/REMOVE whose row key was already seen is superseded. Only whole segments
     * at or below the checkpoint are looked at (a commit's segments all lie on one side of it).
     * One transaction per {@link #opsPerTransaction} ops; the keys seen carry over between them.
     */
    private long moveSuperseded(Connection c, long bucketId, long upTo) throws SQLException {
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
        int[] next = {0};
        try (PreparedStatement read = c.prepareStatement("SELECT ops FROM op_segments WHERE last_op_id = ?");
             PreparedStatement write = c.prepareStatement("UPDATE op_segments SET ops = ? WHERE last_op_id = ?")) {
            while (next[0] < segments.size()) {
                moved += inTransaction(c, () -> {
                    long movedHere = 0;
                    int opsHere = 0;
                    while (next[0] < segments.size() && opsHere < opsPerTransaction) {
                        long segment = segments.get(next[0]++);
                        List<BucketOp> ops = decode(read, segment);
                        opsHere += ops.size();
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
                            movedHere += before;
                        }
                    }
                    return movedHere;
                });
            }
        }
        return moved;
    }

    /** @param more the step stopped at its budget, not at a PUT or the checkpoint: run another */
    private record ClearStep(long cleared, boolean more) {}

    /**
     * The longest prefix without a PUT holds no row a client could still need, so it becomes one
     * CLEAR carrying the prefix's summed checksum; the bucket's total stays the same. The CLEAR
     * takes the place of the prefix's last op in that op's segment; earlier segments go. One step
     * looks at {@link #opsPerTransaction} ops (whole segments) at most; the next starts with the
     * CLEAR this one left and folds it further.
     */
    private ClearStep clearPrefixStep(Connection c, long bucketId, long upTo) throws SQLException {
        long count = 0;
        long sum = 0;
        long lastId = -1;
        long lastSegment = -1;
        boolean more = false;
        try (PreparedStatement q = c.prepareStatement("SELECT last_op_id, ops FROM op_segments "
                + "WHERE bucket_id = ? AND last_op_id <= ? ORDER BY last_op_id")) {
            q.setLong(1, bucketId);
            q.setLong(2, upTo);
            try (ResultSet rs = q.executeQuery()) {
                long scanned = 0;
                scan:
                while (rs.next()) {
                    if (scanned >= opsPerTransaction) {
                        more = true;
                        break;
                    }
                    OpSegmentReader r = new OpSegmentReader(rs.getBytes(2));
                    while (r.next()) {
                        scanned++;
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
            return new ClearStep(0, false);
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
        return new ClearStep(count - 1, more);
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
