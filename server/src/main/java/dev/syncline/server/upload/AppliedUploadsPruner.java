package dev.syncline.server.upload;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Deletes the exactly-once markers in {@code syncline.applied_uploads} older than the retention,
 * so the table stops growing with every applied transaction. A marker only matters while a client
 * may still retry that transaction (its response was lost); clients retry as soon as they are
 * online again, so a marker older than the retention is not expected to be needed — if such a
 * retry does come, it is applied again instead of answered {@code duplicate} (docs/upload.md).
 * Deletes in bounded batches, each its own short transaction, so pruning a large backlog neither
 * holds locks long nor builds one huge transaction.
 */
public final class AppliedUploadsPruner {
    private static final Logger log = LoggerFactory.getLogger(AppliedUploadsPruner.class);
    static final int BATCH = 10_000;
    // No index on applied_at (it would cost every upload an index write): each batch scans the heap,
    // where old markers sit first, and stops at BATCH matches.
    private static final String DELETE = """
            DELETE FROM syncline.applied_uploads WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM syncline.applied_uploads
                WHERE applied_at < now() - make_interval(secs => ?) LIMIT ?))""";

    private final PgConnectionPool pool;
    private final Duration retention;

    public AppliedUploadsPruner(PgConnectionPool pool, Duration retention) {
        if (retention.isZero() || retention.isNegative()) {
            throw new IllegalArgumentException("retention must be positive, got " + retention);
        }
        this.pool = pool;
        this.retention = retention;
    }

    /** Deletes every marker older than the retention; returns how many. */
    public long pruneOnce() throws SQLException {
        long total = 0;
        while (true) {
            int deleted = deleteBatch();
            total += deleted;
            if (deleted < BATCH) {
                break;
            }
        }
        if (total > 0) {
            log.info("pruned {} exactly-once markers older than {} from syncline.applied_uploads", total, retention);
        }
        return total;
    }

    private int deleteBatch() throws SQLException {
        Connection c = pool.borrow(Duration.ofSeconds(30));
        boolean broken = true;
        try (PreparedStatement ps = c.prepareStatement(DELETE)) {
            ps.setDouble(1, retention.toSeconds());
            ps.setInt(2, BATCH);
            int deleted = ps.executeUpdate();
            c.commit();
            broken = false;
            return deleted;
        } finally {
            if (broken) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is discarded as broken anyway
                }
            }
            pool.release(c, broken);
        }
    }
}
