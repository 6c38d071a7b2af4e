package dev.syncline.server.storage.postgres;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.WriteCheckpointStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Write-checkpoint mappings in the storage schema's {@code write_checkpoints} table, on a
 * connection of their own in autocommit mode (replaced when lost): a record is durable when it returns and never waits
 * for the bucket writer. Only the newest few values per (user, client) are kept. Calls are
 * serialised.
 */
final class PostgresWriteCheckpointStore implements WriteCheckpointStore, AutoCloseable {
    private static final int KEEP_PER_CLIENT = 16;
    private final java.util.function.Supplier<Connection> open;
    private Connection connection;
    private final String schema;
    private volatile int backendPid;
    private final java.util.concurrent.CopyOnWriteArrayList<java.util.function.BiConsumer<String, String>> recorded =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** @param open opens a connection (autocommit): the first, and a new one when the last was lost */
    PostgresWriteCheckpointStore(java.util.function.Supplier<Connection> open, String schema) throws SQLException {
        this.open = open;
        this.schema = schema;
        connection();
    }

    /** The connection, a new one if the last was lost (storage restarted, session terminated, network cut). */
    private Connection connection() throws SQLException {
        Connection c = connection;
        if (c != null && !c.isClosed()) {
            return c;
        }
        c = open.get();
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_backend_pid()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            backendPid = rs.getInt(1);
        }
        connection = c;
        return c;
    }

    /** Runs {@code work}; once more on a new connection when the connection itself failed. */
    private <T> T withConnection(SqlWork<T> work) throws SQLException {
        try {
            return work.run(connection());
        } catch (SQLException e) {
            Connection c = connection;
            boolean lost;
            try {
                lost = c == null || c.isClosed() || !c.isValid(2);
            } catch (SQLException ignored) {
                lost = true;
            }
            if (!lost) {
                throw e;
            }
            try {
                if (c != null) {
                    c.close();
                }
            } catch (SQLException ignored) {
                // replacing it
            }
            connection = null;
            return work.run(connection());
        }
    }

    private interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** The backend of this store's connection: its own notifications are not news to this process. */
    int backendPid() {
        return backendPid;
    }

    @Override
    public AutoCloseable subscribeRecordedElsewhere(java.util.function.BiConsumer<String, String> listener) {
        recorded.add(listener);
        return () -> recorded.remove(listener);
    }

    /** Called by the checkpoint follower for a write checkpoint another node recorded. */
    void recordedElsewhere(String userId, String clientId) {
        for (var l : recorded) {
            l.accept(userId, clientId);
        }
    }

    @Override
    public synchronized void record(String userId, String clientId, long value, CommitPosition position) {
        try {
            withConnection(connection -> {
                recordOn(connection, userId, clientId, value, position);
                return null;
            });
        } catch (SQLException e) {
            throw new StorageException("cannot record a write checkpoint: " + PostgresConnections.message(e), e);
        }
    }

    private void recordOn(Connection connection, String userId, String clientId, long value, CommitPosition position)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO write_checkpoints (user_id, client_id, "
                + "value, position) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, client_id, value) DO UPDATE "
                + "SET position = EXCLUDED.position");
             PreparedStatement prune = connection.prepareStatement("DELETE FROM write_checkpoints WHERE user_id = ? "
                     + "AND client_id = ? AND value NOT IN (SELECT value FROM write_checkpoints WHERE user_id = ? "
                     + "AND client_id = ? ORDER BY value DESC LIMIT " + KEEP_PER_CLIENT + ")");
             // Random client ids must not grow the table without end: keep the user's newest clients.
             PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)");
             PreparedStatement pruneClients = connection.prepareStatement("DELETE FROM write_checkpoints "
                     + "WHERE user_id = ? AND client_id <> ? AND client_id NOT IN (SELECT client_id "
                     + "FROM write_checkpoints WHERE user_id = ? AND client_id <> ? GROUP BY client_id "
                     + "ORDER BY max(position) DESC LIMIT " + (MAX_CLIENTS_PER_USER - 1) + ")")) {
            insert.setString(1, userId);
            insert.setString(2, clientId);
            insert.setLong(3, value);
            insert.setLong(4, position.value());
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
            // after the insert committed (autocommit): a node told of it finds it
            notify.setString(1, CheckpointChannel.name(schema));
            notify.setString(2, CheckpointChannel.writeCheckpoint(schema, userId, clientId));
            notify.execute();
        }
    }

    @Override
    public synchronized long latest(String userId, String clientId) {
        return query("SELECT max(value) FROM write_checkpoints WHERE user_id = ? AND client_id = ?", userId, clientId,
                null).orElse(0L);
    }

    @Override
    public synchronized Optional<Long> reached(String userId, String clientId, CommitPosition replicated) {
        return query("SELECT max(value) FROM write_checkpoints WHERE user_id = ? AND client_id = ? AND position <= ?",
                userId, clientId, replicated);
    }

    private Optional<Long> query(String sql, String userId, String clientId, CommitPosition position) {
        try {
            return withConnection(connection -> {
                try (PreparedStatement ps = connection.prepareStatement(sql)) {
                    ps.setString(1, userId);
                    ps.setString(2, clientId);
                    if (position != null) {
                        ps.setLong(3, position.value());
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        long value = rs.next() ? rs.getLong(1) : 0;
                        return rs.wasNull() ? Optional.<Long>empty() : Optional.of(value);
                    }
                }
            });
        } catch (SQLException e) {
            throw new StorageException("cannot read write checkpoints: " + PostgresConnections.message(e), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException e) {
            throw new StorageException("cannot close the write-checkpoint store: " + e.getMessage(), e);
        }
    }
}
