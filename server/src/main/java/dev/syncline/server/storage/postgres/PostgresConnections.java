package dev.syncline.server.storage.postgres;

import dev.syncline.server.storage.StorageException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/** Opens connections to the storage database with the storage schema first on the search path. */
final class PostgresConnections {
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
        this.schema = schema;
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
