package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpId;
import dev.syncline.server.storage.BucketWriter;
import dev.syncline.server.storage.CheckpointChanges;
import dev.syncline.server.storage.CheckpointListeners;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.SourceXidWriter;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.storage.WriterState;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The {@link BucketWriter} on its own connection. Holds the prepared statements and buffers that
 * {@link SqliteWriteTransaction} works with. Each transaction reads the op-id sequence from the
 * file under the write lock, so ids stay unique even if another process wrote in between. One
 * thread.
 */
final class SqliteWriter implements BucketWriter {
    final Connection connection;
    final CheckpointListeners listeners;
    /** What changed since the last announced checkpoint (kept across unannounced commits and rollbacks: over-reporting is safe). */
    final CheckpointChanges.Collector changes = new CheckpointChanges.Collector(4096);
    final BucketIds bucketIds;
    final BucketDeltas deltas;
    final OpSegmentBuffer ops;
    final SourceRowBuffer rows;
    final PreparedStatement selectRow;
    final PreparedStatement selectRows;
    final PreparedStatement insertParameter;
    final PreparedStatement deleteParameters;
    final PreparedStatement updateState;
    final PreparedStatement updateSnapshot;
    final PreparedStatement updateAcknowledged;
    final SourceXidWriter sourceXids;
    private final Statement plain;
    private SqliteWriteTransaction open;

    SqliteWriter(Connection connection, CheckpointListeners listeners) throws SQLException {
        this.connection = connection;
        this.listeners = listeners;
        this.plain = connection.createStatement();
        this.bucketIds = new BucketIds(connection);
        this.deltas = new BucketDeltas(connection);
        this.ops = new OpSegmentBuffer(connection);
        this.rows = new SourceRowBuffer(connection);
        selectRow = connection.prepareStatement("SELECT state, image FROM source_rows "
                + "WHERE source_table = ? AND source_key = ?");
        selectRows = connection.prepareStatement("SELECT source_key, state, image FROM source_rows "
                + "WHERE source_table = ? LIMIT ?");
        insertParameter = connection.prepareStatement("INSERT OR IGNORE INTO parameter_index (lookup_key, "
                + "source_table, source_key, values_json) VALUES (?, ?, ?, ?)");
        deleteParameters = connection.prepareStatement("DELETE FROM parameter_index WHERE lookup_key = ? "
                + "AND source_table = ? AND source_key = ?");
        updateState = connection.prepareStatement("UPDATE state SET last_op_id = ?, commit_lsn = ?, "
                + "checkpoint_op_id = coalesce(?, checkpoint_op_id), checkpoint_lsn = coalesce(?, checkpoint_lsn) "
                + "WHERE id = 1");
        updateSnapshot = connection.prepareStatement("UPDATE state SET snapshot = ? WHERE id = 1");
        updateAcknowledged = connection.prepareStatement(
                "UPDATE state SET acked_lsn = max(coalesce(acked_lsn, 0), ?) WHERE id = 1");
        sourceXids = new SourceXidWriter(connection,
                "INSERT OR REPLACE INTO source_xids (last_op_id, first_op_id, xid) VALUES (?, ?, ?)");
    }

    record State(long lastOpId, CommitPosition commit, String snapshot) {}

    State readState() throws SQLException {
        try (ResultSet rs = plain.executeQuery("SELECT last_op_id, commit_lsn, snapshot FROM state WHERE id = 1")) {
            rs.next();
            return new State(rs.getLong(1), new CommitPosition(rs.getLong(2)), rs.getString(3));
        }
    }

    @Override
    public WriterState loadState() {
        try {
            State s = readState();
            return new WriterState(s.snapshot(), s.commit(), readAcknowledged());
        } catch (SQLException e) {
            throw new StorageException("cannot read the stored replication state: " + e.getMessage(), e);
        }
    }

    /** {@code state.acked_lsn}, or null where the file predates it and nothing was acknowledged since. */
    private CommitPosition readAcknowledged() throws SQLException {
        try (ResultSet rs = plain.executeQuery("SELECT acked_lsn FROM state WHERE id = 1")) {
            rs.next();
            long acked = rs.getLong(1);
            return rs.wasNull() ? null : new CommitPosition(acked);
        }
    }

    @Override
    public WriteTransaction begin() {
        if (open != null) {
            throw new IllegalStateException("a write transaction is already open");
        }
        try {
            plain.execute("BEGIN IMMEDIATE");
            State s = readState();
            open = new SqliteWriteTransaction(this, new OpId(s.lastOpId()), s.commit());
            return open;
        } catch (SQLException e) {
            throw new StorageException("cannot begin a storage transaction: " + e.getMessage(), e);
        }
    }

    void finished(boolean committed) {
        open = null;
        try {
            if (!committed) {
                deltas.discard();
                ops.discard();
                rows.discard();
                bucketIds.forget();
                plain.execute("ROLLBACK");
            }
        } catch (SQLException e) {
            throw new StorageException("rollback failed: " + e.getMessage(), e);
        }
    }

    void commitSql() throws SQLException {
        plain.execute("COMMIT");
    }

    void close() {
        try {
            if (open != null) {
                open.close();
            }
            connection.close();
        } catch (SQLException e) {
            throw new StorageException("closing the storage writer: " + e.getMessage(), e);
        }
    }
}
