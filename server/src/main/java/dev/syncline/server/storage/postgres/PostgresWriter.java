package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpId;
import dev.syncline.server.storage.BucketWriter;
import dev.syncline.server.storage.CheckpointChanges;
import dev.syncline.server.storage.CheckpointListeners;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.SourceXidWriter;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.storage.WriterState;
import dev.syncline.server.storage.WriterFence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The {@link BucketWriter} on its own connection (autocommit off). Each transaction locks the
 * {@code state} row first, so writers of other processes and the compactor wait for it, and op ids
 * continue from what is committed. One thread.
 */
final class PostgresWriter implements BucketWriter {
    /**
     * PostgreSQL ends this writer's session when it sits in an open transaction this long without a
     * statement (a batch commits within its batch time, 1 s by default). A writer cut
     * off mid-batch by a partition that drops packets otherwise keeps its session, and the lock on
     * the state row it took, until TCP notices (hours): the node that takes the lease over then waits
     * on that lock for the whole partition (MultiNodeIT, case e). After 15 s the session ends and the
     * lock with it; the fence refuses the cut writer's late writes anyway.
     */
    static final java.time.Duration IDLE_IN_TRANSACTION_TIMEOUT = java.time.Duration.ofSeconds(15);

    Connection connection;
    final CheckpointListeners listeners;
    final WriterFence fence;
    /** What changed since the last announced checkpoint (over-reporting after a rollback is safe). */
    final CheckpointChanges.Collector changes = new CheckpointChanges.Collector(4096);
    /** Ops buffered into segments (see the class); renewed with the connection. */
    PostgresOpSegments segments;
    PreparedStatement selectRows;
    /** Source-row state: known rows, prefetching and write-behind (see the class); renewed with the connection. */
    PostgresSourceRows rows;
    /** Parameter-index changes, batched (see the class); renewed with the connection. */
    PostgresParameterWrites parameters;
    PreparedStatement bucketDelta;
    PreparedStatement updateState;
    PreparedStatement updateSnapshot;
    PreparedStatement updateAcknowledged;
    SourceXidWriter sourceXids;
    private PreparedStatement lockState;
    private final java.util.function.Supplier<Connection> reconnect;
    private int backendPid;
    /** The connection failed: replaced before the next transaction. */
    private volatile boolean broken;
    private PostgresWriteTransaction open;

    /** {@code pg_notify} of the storage's {@link CheckpointChannel}; the payload is parameter 2. */
    PreparedStatement notify;
    final String schema;

    /**
     * @param reconnect opens a new connection when this one was lost (storage restarted, the session
     *                  terminated, a network cut): the next {@link #loadState} or {@link #begin} uses it
     */
    PostgresWriter(Connection connection, CheckpointListeners listeners, WriterFence fence, String schema,
                   java.util.function.Supplier<Connection> reconnect) throws SQLException {
        this.schema = schema;
        this.listeners = listeners;
        this.fence = fence;
        this.reconnect = reconnect;
        prepare(connection);
    }

    /** The backend serving this writer now: other nodes' notifications are told apart from its own. */
    int backendPid() {
        return backendPid;
    }

    private void prepare(Connection connection) throws SQLException {
        this.connection = connection;
        try (java.sql.Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            backendPid = rs.getInt(1);
        }
        try (java.sql.Statement s = connection.createStatement()) {
            s.execute("SET idle_in_transaction_session_timeout = " + IDLE_IN_TRANSACTION_TIMEOUT.toMillis());
        }
        if (!connection.getAutoCommit()) {
            connection.commit();   // a SET in a transaction rolled back later would be undone
        }
        connection.setAutoCommit(false);
        segments = new PostgresOpSegments(connection);
        selectRows = connection.prepareStatement("SELECT source_key, state, image FROM source_rows WHERE source_table = ? LIMIT ?");
        rows = new PostgresSourceRows(connection);
        PreparedStatement insertParameter = connection.prepareStatement("INSERT INTO parameter_index (lookup_key, source_table, source_key, "
                + "values_json) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
        PreparedStatement deleteParameter = connection.prepareStatement("DELETE FROM parameter_index WHERE lookup_key = ? AND source_table = ? "
                + "AND source_key = ?");
        parameters = new PostgresParameterWrites(deleteParameter, insertParameter);
        // A new bucket was never compacted (the column's default, unknown, is for buckets older code creates).
        bucketDelta = connection.prepareStatement("INSERT INTO buckets (name, checksum, op_count, row_count, compacted_up_to) "
                + "VALUES (?, ?, ?, ?, 0) "
                + "ON CONFLICT (name) DO UPDATE SET checksum = (buckets.checksum + EXCLUDED.checksum) % 4294967296, "
                + "op_count = buckets.op_count + EXCLUDED.op_count, row_count = buckets.row_count + EXCLUDED.row_count");
        updateState = connection.prepareStatement("UPDATE state SET last_op_id = ?, commit_position = ?, "
                + "checkpoint_op_id = coalesce(?, checkpoint_op_id), checkpoint_position = coalesce(?, checkpoint_position) "
                + "WHERE id = 1");
        updateSnapshot = connection.prepareStatement("UPDATE state SET snapshot = ? WHERE id = 1");
        updateAcknowledged = connection.prepareStatement(
                "UPDATE state SET acked_position = greatest(acked_position, ?) WHERE id = 1");
        sourceXids = new SourceXidWriter(connection, "INSERT INTO source_xids (last_op_id, first_op_id, xid) "
                + "VALUES (?, ?, ?) ON CONFLICT (last_op_id) DO UPDATE SET first_op_id = EXCLUDED.first_op_id, xid = EXCLUDED.xid");
        notify = connection.prepareStatement("SELECT pg_notify(?, ?)");
        notify.setString(1, CheckpointChannel.name(schema));
        lockState = connection.prepareStatement(
                "SELECT last_op_id, commit_position, snapshot, acked_position FROM state WHERE id = 1 FOR UPDATE");
        connection.rollback();   // the pid query opened a transaction
    }

    /** A lost connection is replaced before the next transaction (capture retries a failed one). */
    private void reconnectIfLost() {
        try {
            if (!broken && !connection.isClosed()) {
                return;
            }
        } catch (SQLException e) {
            // treat as lost
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // replacing it anyway
        }
        try {
            prepare(reconnect.get());
            broken = false;
            org.slf4j.LoggerFactory.getLogger(PostgresWriter.class).info("storage writer reconnected");
        } catch (SQLException e) {
            throw new StorageException("cannot reconnect the storage writer: " + e.getMessage(), e);
        }
    }

    /** After a failed statement: whether the connection itself is gone (checked only on failure). */
    void checkConnection() {
        try {
            if (connection.isClosed() || !connection.isValid(2)) {
                broken = true;
            }
        } catch (SQLException e) {
            broken = true;
        }
    }

    @Override
    public WriterState loadState() {
        reconnectIfLost();
        if (open != null) {
            // It would see (and its rollback would discard) the open transaction's writes.
            throw new IllegalStateException("loadState while a write transaction is open");
        }
        rows.forget();   // a (re)starting capture: only what is stored counts
        try {
            WriterState state;
            try (ResultSet rs = lockState.executeQuery()) {
                rs.next();
                state = new WriterState(rs.getString(3), new CommitPosition(rs.getLong(2)),
                        new CommitPosition(rs.getLong(4)));
            }
            connection.rollback();
            return state;
        } catch (SQLException e) {
            checkConnection();
            throw new StorageException("cannot read the stored replication state: " + PostgresConnections.message(e), e);
        }
    }

    @Override
    public WriteTransaction begin() {
        if (open != null) {
            throw new IllegalStateException("a write transaction is already open");
        }
        reconnectIfLost();
        try (ResultSet rs = lockState.executeQuery()) {
            rs.next();
            open = new PostgresWriteTransaction(this, new OpId(rs.getLong(1)), new CommitPosition(rs.getLong(2)));
            return open;
        } catch (SQLException e) {
            checkConnection();
            throw new StorageException("cannot begin a storage transaction: " + PostgresConnections.message(e), e);
        }
    }

    void finished(boolean committed) {
        open = null;
        if (!committed) {
            try {
                connection.rollback();
            } catch (SQLException e) {
                checkConnection();
                throw new StorageException("rollback failed: " + e.getMessage(), e);
            }
        }
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
