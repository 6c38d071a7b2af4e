package dev.syncline.server.app;

import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The whole server in its own JVM, so a test can kill it with SIGKILL (kill -9) at any moment.
 * Args: config file, PostgreSQL URI (for {@code ${PG_URI}}), a file it writes its port to once
 * serving. Runs until killed.
 */
public final class ServerProcess {
    private ServerProcess() {}

    public static void main(String[] args) throws Exception {
        SynclineConfig config = ConfigLoader.load(Path.of(args[0]), Map.of("PG_URI", args[1])).withPort(0);
        SynclineApp app = SynclineApp.start(config, Clock.systemUTC());
        Files.writeString(Path.of(args[2] + ".tmp"), Integer.toString(app.port()));
        Files.move(Path.of(args[2] + ".tmp"), Path.of(args[2]));
        app.termination().join();
    }

    /** Starts the process and returns it with its port once it serves. */
    public static Map.Entry<Process, Integer> start(Path config, String pgUri, Path workDir, Path logFile) throws Exception {
        return start(config, pgUri, workDir, logFile, java.util.List.of());
    }

    /** The same with JVM options (e.g. {@code -Xmx1g}) before the class path. */
    public static Map.Entry<Process, Integer> start(Path config, String pgUri, Path workDir, Path logFile,
                                                    java.util.List<String> jvmOptions) throws Exception {
        Path portFile = workDir.resolve("port");
        Files.deleteIfExists(portFile);
        java.util.List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), ServerProcess.class.getName(),
                config.toString(), pgUri, portFile.toString()));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(portFile)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("server process did not start; see " + logFile + ":\n" + Files.readString(logFile));
            }
            Thread.sleep(50);
        }
        return Map.entry(p, Integer.parseInt(Files.readString(portFile).strip()));
    }
}
