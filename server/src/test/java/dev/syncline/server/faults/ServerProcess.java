package dev.syncline.server.faults;

import dev.syncline.server.cli.SynclineCli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The Syncline server as a child JVM ({@code syncline serve --config …} on the test class path),
 * so the campaign can SIGKILL it ({@link Process#destroyForcibly()} is kill -9 on Unix) at any
 * moment and start it again on the same storage, port and slot.
 */
final class ServerProcess implements AutoCloseable {
    private final Path config;
    private final Path log;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private int starts;

    ServerProcess(Path config, Path log, int port) {
        this.config = config;
        this.log = log;
        this.port = port;
    }

    /** Starts the JVM and waits until its HTTP API answers (not until the initial copy is done). */
    synchronized void start() throws IOException, InterruptedException {
        starts++;
        Files.writeString(log, "=== start " + starts + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), SynclineCli.class.getName(),
                "serve", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (probe("/probes/liveness") != 200) {
            if (!process.isAlive() || System.nanoTime() > end) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException("the server did not start; see " + log);
            }
            Thread.sleep(100);
        }
    }

    /** kill -9: no shutdown hook, no close, no flush. */
    synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly().waitFor();
        }
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    boolean ready() {
        return probe("/probes/readiness") == 200;
    }

    /** The HTTP status of a GET on the server directly (no proxy), or -1 when it does not answer. */
    int probe(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The pid of the running JVM, or -1. */
    synchronized long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    Path log() {
        return log;
    }

    int starts() {
        return starts;
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
