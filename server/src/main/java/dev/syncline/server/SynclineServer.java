package dev.syncline.server;

import dev.syncline.server.config.SynclineConfig;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the server for a validated configuration until the process is told to stop. For now it
 * only logs what it would run; replication and the sync API are wired in here later.
 */
public final class SynclineServer {
    private static final Logger log = LoggerFactory.getLogger(SynclineServer.class);
    private static final long SHUTDOWN_GRACE_SECONDS = 30;

    private SynclineServer() {}

    /** Blocks until SIGTERM or Ctrl-C. */
    public static void run(SynclineConfig config) throws InterruptedException {
        log.info("Starting with {}", config);
        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        // The hook waits for run() to finish its clean-up, because the JVM exits as soon as hooks return.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopRequested.countDown();
            try {
                stopped.await(SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "syncline-shutdown"));
        log.warn("Replication and the sync API are not built yet; nothing is served. Waiting for SIGTERM or Ctrl-C.");
        try {
            stopRequested.await();
            log.info("Stopping");
        } finally {
            stopped.countDown();
        }
    }
}
