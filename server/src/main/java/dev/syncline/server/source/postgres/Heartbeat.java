package dev.syncline.server.source.postgres;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Writes a non-transactional logical message into the WAL at a fixed interval. When only
 * unpublished tables are written, pgoutput sends nothing, so without this the slot would never
 * advance and PostgreSQL would keep WAL forever; the message gives the sink a position to confirm.
 */
final class Heartbeat implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);
    private final PgConnections connections;
    private final ScheduledExecutorService scheduler;
    private Connection connection;

    Heartbeat(PgConnections connections, Duration interval) {
        this.connections = connections;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("syncline-heartbeat").factory());
        long millis = Math.max(10, interval.toMillis());
        // The first beat goes out at once: after a copy of an idle database, a position on the
        // stream past the copy's consistent point is what lets the sink publish its first checkpoint.
        scheduler.scheduleWithFixedDelay(this::beat, 0, millis, TimeUnit.MILLISECONDS);
    }

    private void beat() {
        try {
            if (connection == null || connection.isClosed()) {
                connection = connections.open();
            }
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT pg_logical_emit_message(false, ?, '')")) {
                ps.setString(1, PgSourceSettings.HEARTBEAT_PREFIX);
                ps.execute();
            }
        } catch (SQLException | CaptureException e) {
            log.warn("heartbeat failed (will retry): {}", e.getMessage());
            closeConnection();
        }
    }

    private void closeConnection() {
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
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
