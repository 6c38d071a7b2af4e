package dev.syncline.server.pipeline;

import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.postgres.PostgresBucketStorage;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * The replication pipeline alone in its own JVM, so a test can kill it with SIGKILL (kill -9) at
 * any moment. Args: jdbcUrl user password storage startedMarkerFile, where storage is a SQLite
 * file or {@code postgresql:<schema>} (a schema of the source database). Runs until killed.
 */
public final class PipelineProcess {
    private PipelineProcess() {}

    public static void main(String[] args) throws Exception {
        BucketStorage storage = openStorage(args[0], args[1], args[2], args[3]);
        HandOffPipeline pipeline = new HandOffPipeline(new ReplicationPipeline(storage, new TodoRules(),
                BatchPolicy.DEFAULT, System::nanoTime));
        PgSourceSettings settings = PgSourceSettings.defaults(args[0], args[1], args[2],
                        List.of(TodoRules.LISTS, TodoRules.TODOS))
                .withSnapshotChunkRows(300).withHeartbeatInterval(Duration.ofMillis(200));
        storage.checkpoints().subscribe(cp -> System.out.println("checkpoint " + cp));
        PostgresChangeCapture capture = new PostgresChangeCapture(settings, pipeline, pipeline);
        capture.start();
        Files.writeString(Path.of(args[4]), "started");
        capture.completion().join();
    }

    /** Opens {@code storage}: a SQLite file, or {@code postgresql:<schema>} in the database at {@code jdbcUrl}. */
    static BucketStorage openStorage(String jdbcUrl, String user, String password, String storage) {
        if (storage.startsWith("postgresql:")) {
            Properties p = new Properties();
            p.setProperty("user", user);
            p.setProperty("password", password);
            return PostgresBucketStorage.open(jdbcUrl, p, storage.substring("postgresql:".length()));
        }
        return SqliteBucketStorage.open(Path.of(storage));
    }

    /** Starts the process and waits until it streams. */
    static Process start(String jdbcUrl, String user, String password, String storage, Path workDir, Path logFile)
            throws Exception {
        Path marker = workDir.resolve("started");
        Files.deleteIfExists(marker);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PipelineProcess.class.getName(),
                jdbcUrl, user, password, storage, marker.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(marker)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("pipeline process did not start; see " + logFile + ":\n"
                        + Files.readString(logFile));
            }
            Thread.sleep(50);
        }
        return p;
    }
}
