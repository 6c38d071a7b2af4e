package dev.syncline.server.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Comparator;
import java.util.List;

/** The operator's view of storage growth: one log line with disk bytes, totals and the largest buckets. */
public final class StorageUsage {
    private static final Logger log = LoggerFactory.getLogger(StorageUsage.class);

    private StorageUsage() {}

    public static void log(BucketStorage storage, String where, String when) {
        try (ReadView view = storage.reader().open()) {
            List<BucketStats> stats = view.bucketStats();
            long rows = stats.stream().mapToLong(BucketStats::rows).sum();
            long ops = stats.stream().mapToLong(BucketStats::ops).sum();
            List<BucketStats> largest = stats.stream()
                    .sorted(Comparator.comparingLong(BucketStats::ops).reversed()).limit(5).toList();
            log.info("bucket storage {} ({}): {} bytes on disk, {} buckets, {} rows, {} ops; largest by ops: {}",
                    where, when, storage.diskBytes(), stats.size(), rows, ops, largest);
        }
    }
}
