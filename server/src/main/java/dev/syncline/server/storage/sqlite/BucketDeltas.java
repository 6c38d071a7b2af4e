package dev.syncline.server.storage.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * Changes to the per-bucket totals (checksum, op count, row count) collected in memory during a
 * write transaction and applied as relative updates: one UPDATE per touched bucket instead of one
 * per op, and relative so the compactor's own changes to op counts compose with them.
 */
final class BucketDeltas {
    /** Flush early beyond this many buckets so a huge transaction stays in bounded memory. */
    private static final int MAX_PENDING = 50_000;

    private final PreparedStatement update;
    private final Map<Long, long[]> pending = new HashMap<>();

    BucketDeltas(Connection c) throws SQLException {
        update = c.prepareStatement("UPDATE buckets SET checksum = (checksum + ?) & 4294967295, "
                + "op_count = op_count + ?, row_count = row_count + ? WHERE id = ?");
    }

    void op(long bucketId, long checksum) throws SQLException {
        long[] d = delta(bucketId);
        d[0] += checksum;
        d[1]++;
    }

    void rows(long bucketId, int change) throws SQLException {
        delta(bucketId)[2] += change;
    }

    private long[] delta(long bucketId) throws SQLException {
        long[] d = pending.get(bucketId);
        if (d == null) {
            if (pending.size() >= MAX_PENDING) {
                flush();
            }
            d = new long[3];
            pending.put(bucketId, d);
        }
        return d;
    }

    void flush() throws SQLException {
        for (Map.Entry<Long, long[]> e : pending.entrySet()) {
            long[] d = e.getValue();
            update.setLong(1, d[0] & 0xFFFF_FFFFL);
            update.setLong(2, d[1]);
            update.setLong(3, d[2]);
            update.setLong(4, e.getKey());
            update.executeUpdate();
        }
        pending.clear();
    }

    void discard() {
        pending.clear();
    }
}
