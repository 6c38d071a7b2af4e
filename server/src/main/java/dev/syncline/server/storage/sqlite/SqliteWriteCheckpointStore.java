package dev.syncline.server.storage.sqlite;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.WriteCheckpointStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Write-checkpoint mappings in the storage file's {@code write_checkpoints} table, on a connection
 * of their own (WAL, {@code synchronous=FULL}), committed before the marker is written, so a client
 * waiting for its write checkpoint still gets it after a server restart. Only the newest few values
 * per (user, client) are kept: a client waits for its latest one. Calls are serialised (uploads are
 * rare next to replication). A record waits for the write lock while the pipeline commits a batch
 * (at most about a second under {@code BatchPolicy.DEFAULT}; longer only inside one huge source
 * transaction), reads never wait.
 */
final class SqliteWriteCheckpointStore implements WriteCheckpointStore, AutoCloseable {
    private static final int KEEP_PER_CLIENT = 16;
    /** The table, created by {@link SqliteSchema}; the standalone file of earlier versions had the same. */
    static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS write_checkpoints (user_id TEXT NOT NULL, "
            + "client_id TEXT NOT NULL, value INTEGER NOT NULL, lsn INTEGER NOT NULL, "
            + "PRIMARY KEY (user_id, client_id, value)) WITHOUT ROWID";
    private final Connection connection;

    SqliteWriteCheckpointStore(Connection connection) {
        this.connection = connection;
    }

    @Override
    public synchronized void record(String userId, String clientId, long value, CommitPosition lsn) {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT OR REPLACE INTO write_checkpoints (user_id, client_id, value, lsn) VALUES (?, ?, ?, ?)");
             PreparedStatement prune = connection.prepareStatement(
                     "DELETE FROM write_checkpoints WHERE user_id = ? AND client_id = ? AND value NOT IN "
                             + "(SELECT value FROM write_checkpoints WHERE user_id = ? AND client_id = ? "
                             + "ORDER BY value DESC LIMIT " + KEEP_PER_CLIENT + ")");
             // Random client ids must not grow the file without end: keep the user's newest clients.
             PreparedStatement pruneClients = connection.prepareStatement(
                     "DELETE FROM write_checkpoints WHERE user_id = ? AND client_id <> ? AND client_id NOT IN "
                             + "(SELECT client_id FROM write_checkpoints WHERE user_id = ? AND client_id <> ? "
                             + "GROUP BY client_id ORDER BY max(lsn) DESC LIMIT " + (MAX_CLIENTS_PER_USER - 1) + ")")) {
            insert.setString(1, userId);
            insert.setString(2, clientId);
            insert.setLong(3, value);
            insert.setLong(4, lsn.value());
            insert.executeUpdate();
            prune.setString(1, userId);
            prune.setString(2, clientId);
            prune.setString(3, userId);
            prune.setString(4, clientId);
            prune.executeUpdate();
            pruneClients.setString(1, userId);
            pruneClients.setString(2, clientId);
            pruneClients.setString(3, userId);
            pruneClients.setString(4, clientId);
            pruneClients.executeUpdate();
        } catch (SQLException e) {
            throw new StorageException("cannot record a write checkpoint: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized long latest(String userId, String clientId) {
        return query("SELECT max(value) FROM write_checkpoints WHERE user_id = ? AND client_id = ?", userId, clientId,
                null).orElse(0L);
    }

    @Override
    public synchronized Optional<Long> reached(String userId, String clientId, CommitPosition replicated) {
        return query("SELECT max(value) FROM write_checkpoints WHERE user_id = ? AND client_id = ? AND lsn <= ?",
                userId, clientId, replicated);
    }

    private Optional<Long> query(String sql, String userId, String clientId, CommitPosition lsn) {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, userId);
            ps.setString(2, clientId);
            if (lsn != null) {
                ps.setLong(3, lsn.value());
            }
            try (ResultSet rs = ps.executeQuery()) {
                long value = rs.next() ? rs.getLong(1) : 0;
                return rs.wasNull() ? Optional.empty() : Optional.of(value);
            }
        } catch (SQLException e) {
            throw new StorageException("cannot read write checkpoints: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new StorageException("cannot close the write-checkpoint store: " + e.getMessage(), e);
        }
    }
}
