package dev.syncline.server;

import dev.syncline.server.app.SynclineApp;
import dev.syncline.server.config.SynclineConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs the server for a validated configuration until the process is told to stop (SIGTERM,
 * Ctrl-C) or replication fails; then shuts everything down in order.
 */
public final class SynclineServer {
    private static final Logger log = LoggerFactory.getLogger(SynclineServer.class);
    private static final long SHUTDOWN_GRACE_SECONDS = 30;

    private SynclineServer() {}

    /** Blocks until SIGTERM, Ctrl-C or a replication failure (which is rethrown). */
    public static void run(SynclineConfig config) throws Exception {
        log.info("Starting with {}", config);
        SynclineApp app = SynclineApp.start(config, Clock.systemUTC());
        log.info("Syncline is up: sync API on port {}", app.port());
        runUntilStopped(app);
    }

    /**
     * Serves until SIGTERM, Ctrl-C or a replication failure (rethrown), then closes the app. The
     * shutdown hook waits for that clean-up, because the JVM exits as soon as hooks return.
     */
    public static void runUntilStopped(SynclineApp app) throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.termination().complete(null);
            try {
                stopped.await(SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "syncline-shutdown"));
        try {
            app.termination().get();
            log.info("Stopping");
        } catch (ExecutionException e) {
            log.error("Stopping: replication failed: {}", e.getCause().getMessage());
            throw e.getCause() instanceof Exception cause ? cause : e;
        } finally {
            app.close();
            stopped.countDown();
        }
    }
}
