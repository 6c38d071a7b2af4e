package dev.syncline.server.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Compacts every bucket at a fixed interval on its own daemon thread and logs storage usage after
 * each run, so growth is visible without a metrics system. A failed run is logged and retried at
 * the next interval: compaction is an optimisation, never a reason to stop replication.
 */
public final class BackgroundCompaction implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundCompaction.class);

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("syncline-compaction").factory());
    private final BucketStorage storage;
    private final String name;

    public BackgroundCompaction(BucketStorage storage, String name, Duration interval) {
        this.storage = storage;
        this.name = name;
        long millis = Math.max(1, interval.toMillis());
        scheduler.scheduleWithFixedDelay(this::run, millis, millis, TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            long start = System.nanoTime();
            BucketCompactor.CompactionResult r = storage.compactor().compactAll();
            log.info("compacted {} buckets in {} ms: {} ops became MOVE, {} folded into CLEAR", r.buckets(),
                    (System.nanoTime() - start) / 1_000_000, r.movedOps(), r.clearedOps());
            StorageUsage.log(storage, name, "after compaction");
        } catch (StorageFencedException e) {
            // Several nodes on one PostgreSQL storage: only the replicator lease holder compacts.
            log.debug("compaction skipped: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.warn("compaction failed, retrying at the next interval: {}", e.toString(), e);
        }
    }

    /** Stops scheduling and waits for a run in progress to finish. */
    @Override
    public void close() {
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(60, TimeUnit.SECONDS)) {
                scheduler.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
