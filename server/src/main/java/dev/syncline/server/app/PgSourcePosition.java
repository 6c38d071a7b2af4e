package dev.syncline.server.app;

import dev.syncline.server.errors.ServerError;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.PgConnections;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.sync.SourcePosition;
import dev.syncline.server.sync.SyncException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The source database's WAL position and write-checkpoint markers, over one ordinary connection
 * that is reopened after a failure. Calls are serialised: write checkpoints are per upload, rare
 * next to the replication stream.
 */
final class PgSourcePosition implements SourcePosition, AutoCloseable {
    private final PgConnections connections;
    private Connection connection;

    PgSourcePosition(PgConnections connections) {
        this.connections = connections;
    }

    @Override
    public synchronized CommitPosition current() {
        return withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_current_wal_lsn()::text");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new CommitPosition(Lsn.parse(rs.getString(1)).value());
            }
        });
    }

    @Override
    public synchronized void emitMarker(String content) {
        withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_logical_emit_message(false, ?, ?)")) {
                ps.setString(1, PgSourceSettings.WRITE_CHECKPOINT_PREFIX);
                ps.setString(2, content);
                ps.execute();
                return null;
            }
        });
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T withConnection(Work<T> work) {
        try {
            if (connection == null || connection.isClosed()) {
                connection = connections.open();
            }
            return work.run(connection);
        } catch (SQLException | RuntimeException e) {
            closeQuietly();
            throw new SyncException(ServerError.SYNC_R1006, "the source database is not reachable; retry shortly");
        }
    }

    private void closeQuietly() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException ignored) {
            // already broken
        }
        connection = null;
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }
}
