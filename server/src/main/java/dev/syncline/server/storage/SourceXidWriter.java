package dev.syncline.server.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * Writes {@link SourceXid} records into a backend's {@code source_xids} table inside the writer's
 * transaction, and every {@value #PRUNE_EVERY} rows prunes all but the newest
 * {@link WriteTransaction#RETAINED_SOURCE_XIDS}: pruning now and then keeps commits cheap. One per
 * writer connection; the backend supplies its dialect's upsert.
 */
public final class SourceXidWriter {
    static final int PRUNE_EVERY = 1024;

    private final PreparedStatement insert;
    private final PreparedStatement prune;
    /** Rows written since the last prune. */
    private int sincePrune;

    /** @param upsertSql inserts or replaces {@code (last_op_id, first_op_id, xid)}, in that parameter order */
    public SourceXidWriter(Connection connection, String upsertSql) throws SQLException {
        this.insert = connection.prepareStatement(upsertSql);
        this.prune = connection.prepareStatement("DELETE FROM source_xids WHERE last_op_id < (SELECT last_op_id"
                + " FROM source_xids ORDER BY last_op_id DESC LIMIT 1 OFFSET " + WriteTransaction.RETAINED_SOURCE_XIDS + ")");
    }

    public void write(List<SourceXid> xids) throws SQLException {
        if (xids.isEmpty()) {
            return;
        }
        for (SourceXid x : xids) {
            insert.setLong(1, x.lastOpId());
            insert.setLong(2, x.firstOpId());
            insert.setLong(3, x.xid());
            insert.addBatch();
        }
        insert.executeBatch();
        sincePrune += xids.size();
        if (sincePrune >= PRUNE_EVERY) {
            prune.executeUpdate();
            sincePrune = 0;
        }
    }

    /** Drops a batch a failed transaction left. */
    public void clearBatch() throws SQLException {
        insert.clearBatch();
    }
}
