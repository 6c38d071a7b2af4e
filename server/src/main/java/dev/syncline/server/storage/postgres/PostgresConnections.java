package dev.syncline.server.storage.postgres;

import dev.syncline.server.storage.StorageException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Opens connections to the storage database with the storage schema first on the search path, and
 * with a {@code socketTimeout} ({@link #SOCKET_TIMEOUT} unless the properties set one): a storage
 * server that stops answering (machine lost, a partition that drops packets) fails the writer,
 * readers, listener and compactor with an I/O error (SQLSTATE 08006, a lost connection: replaced
 * and retried) instead of leaving them waiting forever. Nothing they do waits that long for an
 * answer: write transactions send ops in COPY buffers of at most a few MiB, compaction and
 * migration work in short transactions, and the compactor and migration wait for locks in steps of
 * {@link #lockWait()} (a server-side {@code lock_timeout}), not in one long silence.
 */
final class PostgresConnections {
    /** How long a storage connection waits for any answer from the server. */
    static final java.time.Duration SOCKET_TIMEOUT = java.time.Duration.ofSeconds(60);

    private final String jdbcUrl;
    private final Properties properties;
    private final String schema;

    PostgresConnections(String jdbcUrl, Properties properties, String schema) {
        this.jdbcUrl = jdbcUrl;
        this.properties = new Properties();
        this.properties.putAll(properties);
        // Ops go in as multi-row INSERTs rather than one round trip per op.
        this.properties.setProperty("reWriteBatchedInserts", "true");
        // Which node a session belongs to, in pg_stat_activity (several nodes may share the storage).
        if ("syncline".equals(this.properties.getProperty("ApplicationName", "syncline"))) {   // the default
            this.properties.setProperty("ApplicationName", "syncline storage pid " + ProcessHandle.current().pid());
        }
        this.properties.putIfAbsent("socketTimeout", Long.toString(SOCKET_TIMEOUT.toSeconds()));
        this.properties.putIfAbsent("connectTimeout", "10");
        this.properties.putIfAbsent("tcpKeepAlive", "true");
        this.schema = schema;
    }

    /** The socket timeout in effect; zero means none. */
    java.time.Duration socketTimeout() {
        return java.time.Duration.ofSeconds(Long.parseLong(properties.getProperty("socketTimeout").strip()));
    }

    /**
     * The longest single wait for a lock (a server-side {@code lock_timeout}) of work that may wait
     * long and then retries: half the socket timeout, so the server answers before the socket gives up.
     */
    java.time.Duration lockWait() {
        return socketTimeout().dividedBy(2);
    }

    /** {@code e}'s message, saying so when the storage database did not answer within the socket timeout. */
    static String message(SQLException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.SocketTimeoutException) {
                return e.getMessage() + " (the storage database did not answer within the socket timeout: it is down "
                        + "or unreachable; the connection is replaced at the next try)";
            }
        }
        return e.getMessage();
    }

    String schema() {
        return schema;
    }

    String describe() {
        return jdbcUrl + " schema " + schema;
    }

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /** A connection in autocommit mode, {@code search_path} set to the storage schema. */
    Connection open() {
        try {
            Connection c = DriverManager.getConnection(jdbcUrl, properties);
            try (Statement s = c.createStatement()) {
                s.execute("SET search_path TO " + quote(schema));
            }
            return c;
        } catch (SQLException e) {
            throw new StorageException("cannot connect to the storage database " + jdbcUrl + ": " + e.getMessage(), e);
        }
    }
}
