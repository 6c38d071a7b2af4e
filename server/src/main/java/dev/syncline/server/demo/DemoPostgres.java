package dev.syncline.server.demo;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The demo's own PostgreSQL 18: embedded (binaries from Maven Central), logical replication on,
 * data kept under the demo's data directory so a restart keeps the rows, schema and sample data
 * applied idempotently. For the demo only; production points Syncline at its own PostgreSQL.
 */
public final class DemoPostgres implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DemoPostgres.class);
    public static final String DATABASE = "postgres";
    public static final String USER = "postgres";

    private final EmbeddedPostgres postgres;

    private DemoPostgres(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts (or restarts) the demo database in {@code dataDir/postgres}; {@code port} 0 picks a free one. */
    public static DemoPostgres start(Path dataDir, int port) throws IOException {
        Path pgData = dataDir.resolve("postgres");
        Files.createDirectories(pgData);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                .setCleanDataDirectory(false)
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_replication_slots", "10")
                .setServerConfig("max_wal_senders", "10")
                // The embedded server turns synchronous_commit off; then the walsender sees a commit
                // only after the WAL writer's next flush (wal_writer_delay, 200 ms), which the demo's
                // commit → visible figure would show. PostgreSQL's own default is on.
                .setServerConfig("synchronous_commit", "on");
        if (port > 0) {
            builder.setPort(port);
        }
        DemoPostgres demo;
        try {
            demo = new DemoPostgres(builder.start());
        } catch (IOException | RuntimeException e) {
            Path version = pgData.resolve("PG_VERSION");
            if (Files.exists(version)) {
                // Data directories are per major version: a demo made before an upgrade of the binaries cannot start.
                throw new IOException("could not start PostgreSQL on the demo data in " + pgData + " (made by "
                        + "PostgreSQL " + Files.readString(version).trim() + "): " + e.getMessage()
                        + " — if the bundled PostgreSQL version changed, delete " + dataDir + " to start afresh", e);
            }
            throw e;
        }
        demo.applySchema();
        return demo;
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port() + "/" + DATABASE;
    }

    /** The URL users paste into psql or a GUI. */
    public String postgresUrl() {
        return "postgresql://" + USER + ":postgres@localhost:" + port() + "/" + DATABASE;
    }

    public Connection connect() throws SQLException {
        return postgres.getPostgresDatabase().getConnection();
    }

    private void applySchema() throws IOException {
        try (Connection c = connect()) {
            prepare(c);
        } catch (SQLException e) {
            throw new IOException("could not prepare the demo database: " + e.getMessage(), e);
        }
    }

    /** Applies the demo schema to any database and inserts the sample data when {@code lists} is empty. */
    public static void prepare(Connection c) throws SQLException, IOException {
        try (Statement s = c.createStatement()) {
            s.execute(resource("schema.sql"));
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM lists")) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    s.execute(resource("sample-data.sql"));
                    log.info("demo database created with sample data for users alice and bob");
                }
            }
        }
    }

    /** A file of the demo's resources (schema, sample data, sync rules). */
    public static String resource(String name) throws IOException {
        try (InputStream in = DemoPostgres.class.getResourceAsStream("/demo/" + name)) {
            if (in == null) {
                throw new IOException("demo resource missing from the jar: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
