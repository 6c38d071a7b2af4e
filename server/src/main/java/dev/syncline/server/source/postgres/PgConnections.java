package dev.syncline.server.source.postgres;

import org.postgresql.PGProperty;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Opens the two kinds of connection capture uses. Both use text transfer and the same session
 * settings, so values read by the snapshot and values sent by pgoutput have the same text form.
 */
public final class PgConnections {
    private final PgSourceSettings settings;

    public PgConnections(PgSourceSettings settings) {
        this.settings = settings;
    }

    /** An ordinary connection (catalog queries, snapshot copy, heartbeats). */
    public Connection open() {
        try {
            Connection c = DriverManager.getConnection(settings.jdbcUrl(), baseProperties());
            try (Statement s = c.createStatement()) {
                s.execute("SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; "
                        + "SET bytea_output = hex; SET TimeZone = 'UTC'");
            }
            return c;
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot connect to " + settings.jdbcUrl() + " as " + user());
        }
    }

    /** A walsender connection for slot creation and streaming. */
    public Connection openReplication() {
        Properties p = baseProperties();
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        // Session settings of the walsender decide pgoutput's text output (timestamps, bytea).
        PGProperty.OPTIONS.set(p, "-c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3 "
                + "-c bytea_output=hex -c TimeZone=UTC");
        try {
            return DriverManager.getConnection(settings.jdbcUrl(), p);
        } catch (SQLException e) {
            // 28000 here is pg_hba.conf without a `replication` line for the user, or no REPLICATION attribute.
            if ("42501".equals(e.getSQLState()) || "28000".equals(e.getSQLState())) {
                throw new CaptureException(CaptureError.NOT_REPLICATION_USER, "user " + user()
                        + " may not open a replication connection: " + e.getMessage(), e);
            }
            throw SetupFailures.classify(e, "cannot open a replication connection to " + settings.jdbcUrl()
                    + " as " + user());
        }
    }

    private String user() {
        return settings.connectionProperties().getProperty("user");
    }

    private Properties baseProperties() {
        Properties p = new Properties();
        p.putAll(settings.connectionProperties());
        PGProperty.BINARY_TRANSFER.set(p, false);
        PGProperty.APPLICATION_NAME.set(p, "syncline");
        return p;
    }
}
