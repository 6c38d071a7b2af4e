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
 * {@link BucketCompactor} on a connection of its own, in short transactions: each one locks the
 * {@code state} row (as a write transaction does, so they never interleave), does a bounded amount
 * of work ({@value #OPS_PER_TRANSACTION} ops, rounded up to whole segments or one merged run),
 * commits and so lets the writer in before the next. One bucket of millions of ops used to be one
 * transaction holding the state row throughout, and replication stood still meanwhile. A bucket
 * of at most that many ops is still compacted whole in one transaction.
 *
 * <p>Per bucket, three passes over the segments at or below the checkpoint read by the first
 * transaction (a commit's segments lie wholly on one side of a checkpoint, and only compaction
 * changes the ones below it): newest first, a PUT or REMOVE whose row key a newer op has becomes a
 * MOVE (id and checksum kept; the keys seen carry over between transactions); the longest prefix
 * without a PUT folds into one CLEAR, at most a budget's worth per transaction, each next one
 * folding the CLEAR the last one left; runs of adjacent small segments are rewritten as one (at
 * most {@link PostgresOpSegments#SEGMENT_OPS} ops and {@link PostgresOpSegments#SEGMENT_BYTES}
 * bytes, the writer's bounds). Every transaction reads what it changes afresh under the lock and
 * leaves a valid log with every checksum and count unchanged, so a process that dies between two
 * of them leaves a partly compacted log, and the next run finishes the work; a second compactor
 * (another handle, {@code syncline compact}) interleaving its transactions only makes this one
 * find less to do.
 *
 * <p>Fenced like the writer: every compaction transaction checks the {@link WriterFence} before
 * it takes the state row, so only the replicator lease holder compacts. Nodes that do not hold the
 * lease are refused ({@link StorageFencedException}) before they wait for or block the writer, and
 * a node that lost the lease cannot commit compaction after another node took over.
 *
 * <p>Memory grows with the number of distinct rows of the bucket being compacted (the row keys
 * already seen), plus one transaction's worth of segments.
 */
final class PostgresCompactor implements BucketCompactor {
    static final int OPS_PER_TRANSACTION = 4096;
    /** Merging reads segment sizes only; it may look at this many times the budget per transaction. */
    private static final int MERGE_SCAN_FACTOR = 8;

    /** SQLSTATE lock_not_available: {@code lock_timeout} ran out. */
    private static final String LOCK_TIMEOUT = "55P03";

    private final Supplier<Connection> connect;
    private final WriterFence fence;
    private final int opsPerTransaction;
    private final java.time.Duration lockWait;
    private final Runnable betweenTransactions;

    /** @param lockWait the longest single wait for the state row, then the transaction starts over */
    PostgresCompactor(Supplier<Connection> connect, WriterFence fence, java.time.Duration lockWait) {
        this(connect, fence, OPS_PER_TRANSACTION, lockWait, () -> { });
    }

    /**
     * @param betweenTransactions runs after each compaction transaction committed (tests check the
     *                            log there, or fail as a process dying between two transactions)
     */
    PostgresCompactor(Supplier<Connection> connect, WriterFence fence, int opsPerTransaction,
                      Runnable betweenTransactions) {
        this(connect, fence, opsPerTransaction, PostgresConnections.SOCKET_TIMEOUT.dividedBy(2), betweenTransactions);
    }

    PostgresCompactor(Supplier<Connection> connect, WriterFence fence, int opsPerTransaction,
                      java.time.Duration lockWait, Runnable betweenTransactions) {
        this.connect = connect;
        this.fence = fence;
        this.opsPerTransaction = opsPerTransaction;
        this.lockWait = lockWait;
        this.betweenTransactions = betweenTransactions;
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
            throw new StorageException("compaction failed: " + PostgresConnections.message(e), e);
        }
    }

    @Override
    public synchronized CompactionResult compact(String bucket) {
        try (Connection c = connect.get()) {
            return compact(c, bucket);
        } catch (SQLException e) {
            throw new StorageException("compaction of " + bucket + " failed: " + PostgresConnections.message(e), e);
        }
    }

    private interface Work<T> {
        /** @param checkpoint the checkpoint op id under the state row's lock, or -1 if none yet */
        T run(long checkpoint) throws SQLException;
    }

    /**
     * One short transaction: fence, state row lock, {@code work}, commit. The state row is waited
     * for at most {@link #lockWait} at a time (a write transaction of one huge source transaction
     * may hold it for minutes): then the transaction starts over, so the wait never looks like a
     * storage server that stopped answering (the socket timeout).
     */
    private <T> T inTransaction(Connection c, Work<T> work) throws SQLException {
        T result;
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            long checkpoint;
            while (true) {
                // First: a node without the lease neither waits for nor blocks the writer's state row. The
                // share lock on the lease row is held until this transaction ends, so a take-over waits for it.
                fence.check(c);
                if (!lockWait.isZero()) {
                    s.execute("SET LOCAL lock_timeout = " + lockWait.toMillis());
                }
                // As for the writer: a compactor cut off mid-transaction (a silent partition, a frozen
                // process) loses its session, and the state row with it, after this idle time, instead
                // of blocking the writer of the node that takes over for the whole partition.
                s.execute("SET LOCAL idle_in_transaction_session_timeout = " + PostgresWriter.IDLE_IN_TRANSACTION_TIMEOUT.toMillis());
                try (ResultSet rs = s.executeQuery("SELECT checkpoint_op_id FROM state WHERE id = 1 FOR UPDATE")) {
                    rs.next();
                    checkpoint = rs.getLong(1);
                    if (rs.wasNull()) {
                        checkpoint = -1;
                    }
                    break;
                } catch (SQLException e) {
                    if (!LOCK_TIMEOUT.equals(e.getSQLState())) {
                        throw e;
                    }
                    c.rollback();   // the writer holds the state row longer: ask again
                }
            }
            result = work.run(checkpoint);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection is gone; reporting the original failure
            }
            throw e;
        } finally {
            try {
                c.setAutoCommit(true);
            } catch (SQLException ignored) {
                // as above
            }
        }
        betweenTransactions.run();
        return result;
    }

    private CompactionResult compact(Connection c, String bucket) throws SQLException {
        long[] upTo = {-1};
        // The first transaction fixes the checkpoint compaction stays below (it only grows meanwhile).
        // A bucket of at most a budget of ops is compacted whole in it: one transaction per bucket, as
        // before, for the many small buckets (per-user buckets) a storage may hold.
        CompactionResult small = inTransaction(c, checkpoint -> {
            if (checkpoint < 0) {
                return new CompactionResult(0, 0, 0);
            }
            try (PreparedStatement count = c.prepareStatement("SELECT op_count FROM buckets WHERE name = ?")) {
                count.setString(1, bucket);
                try (ResultSet rs = count.executeQuery()) {
                    if (!rs.next()) {
                        return new CompactionResult(0, 0, 0);
                    }
                    upTo[0] = checkpoint;
                    return rs.getLong(1) <= opsPerTransaction ? passes(c, bucket, checkpoint, true) : null;
                }
            }
        });
        return small != null ? small : passes(c, bucket, upTo[0], false);
    }

    /** @param inOne run every step in the caller's transaction, not each in one of its own */
    private CompactionResult passes(Connection c, String bucket, long upTo, boolean inOne) throws SQLException {
        Set<String> seen = new HashSet<>();
        long moved = 0;
        long below = upTo + 1;   // the segments still to look at have last_op_id below this
        MoveStep m;
        do {
            long from = below;
            m = step(c, inOne, checkpoint -> {
                MoveStep done = moveStep(c, bucket, seen, from);
                if (done.moved() > 0) {
                    mark(c, bucket, upTo, true);
                }
                return done;
            });
            moved += m.moved();
            below = m.below();
        } while (m.more());
        long cleared = 0;
        Step step;
        do {
            step = step(c, inOne, checkpoint -> {
                Step done = clearPrefixStep(c, bucket, upTo);
                if (done.done() > 0) {
                    mark(c, bucket, upTo, true);
                }
                return done;
            });
            cleared += step.done();
        } while (step.more());
        if (moved + cleared == 0) {
            step(c, inOne, checkpoint -> {
                mark(c, bucket, upTo, false);
                return null;
            });
        }
        long after = 0;
        do {
            long from = after;
            step = step(c, inOne, checkpoint -> mergeStep(c, bucket, from, upTo));
            after = step.done();
        } while (step.more());
        return new CompactionResult(1, moved, cleared);
    }

    /**
     * Records in the transaction that changes the bucket the checkpoint compaction stays below
     * ({@code buckets.compacted_up_to}, read by {@link dev.syncline.server.storage.ReadView#compactedUpTo}):
     * every op this or an earlier run superseded was superseded at or below it. The mark only
     * rises: a higher one comes from a compactor that ran beside this one (`syncline compact` beside
     * the server's) and changed the bucket up to there. A run that changed nothing leaves it, unless
     * it was unknown (migration 4's maximum): then nothing changed after this run's checkpoint.
     */
    private static void mark(Connection c, String bucket, long upTo, boolean changed) throws SQLException {
        try (PreparedStatement mark = c.prepareStatement("UPDATE buckets SET compacted_up_to = ? WHERE name = ? "
                + "AND (compacted_up_to = " + Long.MAX_VALUE + " OR (? AND compacted_up_to < ?))")) {
            mark.setLong(1, upTo);
            mark.setString(2, bucket);
            mark.setBoolean(3, changed);
            mark.setLong(4, upTo);
            mark.executeUpdate();
        }
    }

    private <T> T step(Connection c, boolean inOne, Work<T> work) throws SQLException {
        return inOne ? work.run(-1) : inTransaction(c, work);
    }

    /** @param more the step stopped at its budget, not at the end of its work: run another */
    private record Step(long done, boolean more) {}

    /** @param below the segments still to look at have last_op_id below this */
    private record MoveStep(long moved, long below, boolean more) {}

    /**
     * Newest first: a PUT/REMOVE whose row key was already seen is superseded and becomes a MOVE.
     * One step per budget of ops (whole segments, below the last step's); the keys seen carry
     * over. Should another compactor have merged segments across the boundary meanwhile, the ops
     * of those are passed over (and their keys not seen): fewer MOVEs, never a wrong one.
     */
    private MoveStep moveStep(Connection c, String bucket, Set<String> seen, long from) throws SQLException {
        List<Long> superseded = new ArrayList<>();
        long below = from;
        int opsHere = 0;
        boolean more = false;
        try (PreparedStatement q = c.prepareStatement("SELECT last_op_id, op_ids, op_types, object_types, "
                + "object_ids, subkeys FROM op_segments WHERE bucket = ? AND last_op_id < ? ORDER BY last_op_id DESC")) {
            q.setString(1, bucket);
            q.setLong(2, from);
            q.setFetchSize(16);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    if (opsHere >= opsPerTransaction) {
                        more = true;
                        break;
                    }
                    Object[] ids = (Object[]) rs.getArray(2).getArray();
                    Object[] types = (Object[]) rs.getArray(3).getArray();
                    Object[] objectTypes = (Object[]) rs.getArray(4).getArray();
                    Object[] objectIds = (Object[]) rs.getArray(5).getArray();
                    Object[] subkeys = (Object[]) rs.getArray(6).getArray();
                    for (int i = ids.length - 1; i >= 0; i--) {
                        int type = ((Number) types[i]).intValue();
                        if (type == OpType.PUT.code() || type == OpType.REMOVE.code()) {
                            String key = objectTypes[i] + "\u0000" + objectIds[i] + "\u0000" + subkeys[i];
                            if (!seen.add(key)) {
                                superseded.add(((Number) ids[i]).longValue());
                            }
                        }
                    }
                    opsHere += ids.length;
                    below = rs.getLong(1);
                }
            }
        }
        if (!superseded.isEmpty()) {
            rewriteAsMoves(c, bucket, below, from, superseded);
        }
        return new MoveStep(superseded.size(), below, more);
    }

    /** Rewrites the segments in [{@code first}, {@code below}) holding {@code ids} with those ops as MOVEs. */
    private static void rewriteAsMoves(Connection c, String bucket, long first, long below, List<Long> ids)
            throws SQLException {
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
                + " WHERE s.bucket = ? AND s.last_op_id >= ? AND s.last_op_id < ? AND s.op_ids && x.ids "
                + "GROUP BY s.last_op_id) m WHERE t.bucket = ? AND t.last_op_id = m.last_op_id")) {
            Array array = c.createArrayOf("bigint", ids.toArray());
            u.setArray(1, array);
            u.setString(2, bucket);
            u.setLong(3, first);
            u.setLong(4, below);
            u.setString(5, bucket);
            u.executeUpdate();
        }
    }

    /**
     * The longest prefix without a PUT holds no row a client could still need, so it becomes one
     * CLEAR with the prefix's last op id and summed checksum; the bucket's total stays the same.
     * The CLEAR takes the place of the prefix's last op in that op's segment (the segment keeps its
     * later ops); the segments before it go. One step looks at a budget of ops (whole segments) at
     * most; the next starts with the CLEAR this one left and folds it further.
     */
    private Step clearPrefixStep(Connection c, String bucket, long upTo) throws SQLException {
        long count = 0;
        long sum = 0;
        long lastId = -1;
        long lastSegment = -1;
        boolean more = false;
        try (PreparedStatement q = c.prepareStatement("SELECT last_op_id, op_ids, op_types, checksums FROM op_segments "
                + "WHERE bucket = ? AND last_op_id <= ? ORDER BY last_op_id")) {
            q.setString(1, bucket);
            q.setLong(2, upTo);
            q.setFetchSize(16);
            try (ResultSet rs = q.executeQuery()) {
                long scanned = 0;
                scan:
                while (rs.next()) {
                    if (scanned >= opsPerTransaction && count >= 2) {
                        more = true;
                        break;
                    }
                    Object[] ids = (Object[]) rs.getArray(2).getArray();
                    Object[] types = (Object[]) rs.getArray(3).getArray();
                    Object[] checksums = (Object[]) rs.getArray(4).getArray();
                    for (int i = 0; i < ids.length; i++) {
                        scanned++;
                        if (((Number) types[i]).intValue() == OpType.PUT.code()) {
                            break scan;
                        }
                        count++;
                        sum = OpChecksum.add(sum, ((Number) checksums[i]).longValue());
                        lastId = ((Number) ids[i]).longValue();
                        lastSegment = rs.getLong(1);
                    }
                }
            }
        }
        if (count < 2) {
            return new Step(0, false);
        }
        try (PreparedStatement trim = c.prepareStatement("UPDATE op_segments t SET first_op_id = ?, "
                + "op_ids = ARRAY[?::bigint] || m.op_ids, op_types = ARRAY[" + OpType.CLEAR.code() + "::smallint] || m.op_types, "
                + "object_types = ARRAY[NULL::text] || m.object_types, object_ids = ARRAY[NULL::text] || m.object_ids, "
                + "subkeys = ARRAY[NULL::text] || m.subkeys, datas = ARRAY[NULL::text] || m.datas, "
                + "checksums = ARRAY[?::bigint] || m.checksums "
                + "FROM (SELECT array_agg(o.op_id ORDER BY o.n) AS op_ids, array_agg(o.op_type ORDER BY o.n) AS op_types, "
                + "array_agg(o.object_type ORDER BY o.n) AS object_types, array_agg(o.object_id ORDER BY o.n) AS object_ids, "
                + "array_agg(o.subkey ORDER BY o.n) AS subkeys, array_agg(o.data ORDER BY o.n) AS datas, "
                + "array_agg(o.checksum ORDER BY o.n) AS checksums FROM " + PostgresOpSegments.OPS
                + " WHERE s.bucket = ? AND s.last_op_id = ? AND o.op_id > ?) m WHERE t.bucket = ? AND t.last_op_id = ?");
             PreparedStatement d = c.prepareStatement("DELETE FROM op_segments WHERE bucket = ? AND last_op_id < ?");
             PreparedStatement b = c.prepareStatement("UPDATE buckets SET op_count = op_count - ? WHERE name = ?")) {
            trim.setLong(1, lastId);
            trim.setLong(2, lastId);
            trim.setLong(3, sum);
            trim.setString(4, bucket);
            trim.setLong(5, lastSegment);
            trim.setLong(6, lastId);
            trim.setString(7, bucket);
            trim.setLong(8, lastSegment);
            trim.executeUpdate();
            d.setString(1, bucket);
            d.setLong(2, lastSegment);
            d.executeUpdate();
            b.setLong(1, count - 1);
            b.setString(2, bucket);
            b.executeUpdate();
        }
        return new Step(count - 1, more);
    }

    /**
     * Rewrites runs of adjacent small segments after {@code after} as one segment each, greedily
     * from the oldest: a run grows while it stays within the writer's segment bounds. The writer
     * appends a segment per bucket per commit, so a bucket touched by a few ops per batch had one
     * segment row (and one unpacking per read) per batch. Stops after a budget of merged ops, at a
     * run's end, so the runs are those a single pass would make.
     *
     * @return the last segment looked at and whether segments after it are left
     */
    private Step mergeStep(Connection c, String bucket, long after, long upTo) throws SQLException {
        List<Long> run = new ArrayList<>();
        long runOps = 0;
        long runBytes = 0;
        long merged = 0;
        long scanned = 0;
        long lastDone = after;
        try (PreparedStatement q = c.prepareStatement("SELECT last_op_id, cardinality(op_ids), "
                + "coalesce(pg_column_size(object_types), 0) + coalesce(pg_column_size(object_ids), 0) "
                + "+ coalesce(pg_column_size(subkeys), 0) + coalesce(pg_column_size(datas), 0) FROM op_segments "
                + "WHERE bucket = ? AND last_op_id > ? AND last_op_id <= ? ORDER BY last_op_id")) {
            q.setString(1, bucket);
            q.setLong(2, after);
            q.setLong(3, upTo);
            q.setFetchSize(256);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    long segment = rs.getLong(1);
                    long ops = rs.getLong(2);
                    long bytes = rs.getLong(3);
                    if (!run.isEmpty() && (runOps + ops > PostgresOpSegments.SEGMENT_OPS
                            || runBytes + bytes > PostgresOpSegments.SEGMENT_BYTES)) {
                        if (run.size() > 1) {
                            merge(c, bucket, run.getFirst(), run.getLast());
                            merged += runOps;
                        }
                        lastDone = run.getLast();
                        run.clear();
                        runOps = 0;
                        runBytes = 0;
                        if (merged >= opsPerTransaction || scanned >= (long) MERGE_SCAN_FACTOR * opsPerTransaction) {
                            return new Step(lastDone, true);
                        }
                    }
                    run.add(segment);
                    runOps += ops;
                    runBytes += bytes;
                    scanned += ops;
                }
            }
        }
        if (run.size() > 1) {
            merge(c, bucket, run.getFirst(), run.getLast());
        }
        return new Step(run.isEmpty() ? lastDone : run.getLast(), false);
    }

    /** The bucket's segments with last_op_id in [first, last] become one, keyed by {@code last}. */
    private static void merge(Connection c, String bucket, long first, long last) throws SQLException {
        String order = " ORDER BY s.last_op_id, o.n)";
        try (PreparedStatement u = c.prepareStatement("UPDATE op_segments t SET first_op_id = m.first_op_id, "
                + "op_ids = m.op_ids, op_types = m.op_types, object_types = m.object_types, object_ids = m.object_ids, "
                + "subkeys = m.subkeys, datas = m.datas, checksums = m.checksums "
                + "FROM (SELECT min(o.op_id) AS first_op_id, array_agg(o.op_id" + order + " AS op_ids, "
                + "array_agg(o.op_type" + order + " AS op_types, array_agg(o.object_type" + order + " AS object_types, "
                + "array_agg(o.object_id" + order + " AS object_ids, array_agg(o.subkey" + order + " AS subkeys, "
                + "array_agg(o.data" + order + " AS datas, array_agg(o.checksum" + order + " AS checksums FROM "
                + PostgresOpSegments.OPS + " WHERE s.bucket = ? AND s.last_op_id >= ? AND s.last_op_id <= ?) m "
                + "WHERE t.bucket = ? AND t.last_op_id = ?");
             PreparedStatement d = c.prepareStatement("DELETE FROM op_segments WHERE bucket = ? AND last_op_id >= ? "
                     + "AND last_op_id < ?")) {
            u.setString(1, bucket);
            u.setLong(2, first);
            u.setLong(3, last);
            u.setString(4, bucket);
            u.setLong(5, last);
            u.executeUpdate();
            d.setString(1, bucket);
            d.setLong(2, first);
            d.setLong(3, last);
            d.executeUpdate();
        }
    }
}
