package dev.syncline.server.faults;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real embedded PostgreSQL (zonky binaries) in a data directory the campaign knows, so that it
 * can crash it: {@link #crashRestart()} runs {@code pg_ctl restart -m immediate}, which kills
 * every backend without a checkpoint — PostgreSQL recovers from its WAL at the next start, as
 * after a crash of the process. {@code fsync} and {@code synchronous_commit} are on (zonky turns
 * both off), so a commit PostgreSQL acknowledged survives the crash.
 */
final class FaultPostgres implements AutoCloseable {
    static final String USER = "postgres";
    static final String PASSWORD = "postgres";
    static final String DATABASE = "faults";

    private final EmbeddedPostgres embedded;
    private final Path dataDir;
    private final Path log;

    private FaultPostgres(EmbeddedPostgres embedded, Path dataDir, Path log) {
        this.embedded = embedded;
        this.dataDir = dataDir;
        this.log = log;
    }

    static FaultPostgres start(Path dir) throws IOException, SQLException {
        Path data = dir.resolve("pgdata");
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setDataDirectory(data)
                .setCleanDataDirectory(true)
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_replication_slots", "10")
                .setServerConfig("max_wal_senders", "10")
                .setServerConfig("max_connections", "100")
                .setServerConfig("wal_sender_timeout", "60s")
                // zonky's defaults (-F, synchronous_commit=off) let a crash lose acknowledged commits,
                // which would be PostgreSQL's doing, not the server's: a durable PostgreSQL instead
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .start();
        FaultPostgres server = new FaultPostgres(pg, data, dir.resolve("postgres.log"));
        try (Connection c = DriverManager.getConnection(server.jdbcUrl("postgres"), USER, PASSWORD)) {
            c.createStatement().execute("CREATE DATABASE " + DATABASE);
        }
        return server;
    }

    int port() {
        return embedded.getPort();
    }

    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(DATABASE), USER, PASSWORD);
    }

    /** A real crash: {@code pg_ctl restart -m immediate}, then waits until connections succeed. */
    void crashRestart() throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        if (unshareAvailable()) {
            // pg_ctl refuses to run as root; zonky starts PostgreSQL the same way (as `nobody` in a user namespace)
            command.addAll(List.of("unshare", "-U"));
        }
        command.addAll(List.of(pgCtl().toString(), "restart", "-D", dataDir.toString(), "-m", "immediate",
                "-w", "-t", "120", "-l", log.toString()));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!p.waitFor(150, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("pg_ctl restart -m immediate failed; see " + log);
        }
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Connection c = connect()) {
                return;
            } catch (SQLException e) {
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("PostgreSQL did not come back after restart: " + e.getMessage());
                }
                Thread.sleep(100);
            }
        }
    }

    private static boolean unshareAvailable() {
        try {
            Process p = new ProcessBuilder("unshare", "-U", "id").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** pg_ctl beside the running postmaster's binary (zonky extracts the binaries to a directory of its own). */
    private Path pgCtl() throws IOException {
        List<String> pidFile = Files.readAllLines(dataDir.resolve("postmaster.pid"));
        Path postgres = Files.readSymbolicLink(Path.of("/proc", pidFile.getFirst().trim(), "exe"));
        return postgres.resolveSibling("pg_ctl");
    }

    @Override
    public void close() throws IOException {
        embedded.close();
    }
}
