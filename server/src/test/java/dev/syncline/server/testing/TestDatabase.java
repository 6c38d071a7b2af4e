package dev.syncline.server.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/** One fresh database on a {@link PostgresTestServer}; closing it drops the database and its slots. */
public final class TestDatabase implements AutoCloseable {
    private final PostgresTestServer server;
    private final String name;

    TestDatabase(PostgresTestServer server, String name) {
        this.server = server;
        this.name = name;
    }

    public String name() { return name; }
    public String jdbcUrl() { return server.jdbcUrl(name); }
    public String user() { return server.user(); }
    public String password() { return server.password(); }
    public String host() { return server.host(); }
    public int port() { return server.port(); }

    /** A libpq-style URI, the form users write in the configuration file. */
    public String uri() {
        return "postgresql://" + server.user() + ":" + server.password() + "@" + server.host() + ":" + server.port()
                + "/" + name;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), server.user(), server.password());
    }

    /** Runs each statement in autocommit mode. */
    public void execute(String... sql) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        server.dropDatabase(name);
    }
}
