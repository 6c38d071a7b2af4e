package dev.syncline.server.storage.sqlite;

import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.sync.WriteCheckpointStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * Write-checkpoint mappings in their own small SQLite file, committed with
 * {@code synchronous=FULL} before the marker is written, so a client waiting for its write
 * checkpoint still gets it after a server restart. Only the newest few values per (user, client)
 * are kept: a client waits for its latest one. Calls are serialised (uploads are rare next to
 * replication).
 */
public final class SqliteWriteCheckpointStore implements WriteCheckpointStore, AutoCloseable {
    private static final int KEEP_PER_CLIENT = 16;
    private final Connection connection;

    private SqliteWriteCheckpointStore(Connection connection) {
        this.connection = connection;
    }

    public static SqliteWriteCheckpointStore open(Path file) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
                s.execute("CREATE TABLE IF NOT EXISTS write_checkpoints (user_id TEXT NOT NULL, client_id TEXT NOT NULL, "
                        + "value INTEGER NOT NULL, lsn INTEGER NOT NULL, PRIMARY KEY (user_id, client_id, value)) WITHOUT ROWID");
            }
            return new SqliteWriteCheckpointStore(c);
        } catch (SQLException | java.io.IOException e) {
            throw new StorageException("cannot open the write-checkpoint store " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void record(String userId, String clientId, long value, Lsn lsn) {
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
    public synchronized Optional<Long> reached(String userId, String clientId, Lsn replicated) {
        return query("SELECT max(value) FROM write_checkpoints WHERE user_id = ? AND client_id = ? AND lsn <= ?",
                userId, clientId, replicated);
    }

    private Optional<Long> query(String sql, String userId, String clientId, Lsn lsn) {
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
