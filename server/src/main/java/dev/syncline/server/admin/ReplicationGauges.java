package dev.syncline.server.admin;

import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.ReadView;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.sql.Connection;
import java.util.function.Supplier;

/**
 * {@code syncline_replication_lag_bytes}, {@code syncline_replication_wal_retained_bytes} and
 * {@code syncline_storage_bytes}, sampled on scrape but at most once per {@link #MAX_AGE_NANOS}
 * (one source query and one storage read), so frequent scrapes cost nothing extra. NaN while the
 * source cannot be read.
 */
public final class ReplicationGauges {
    static final long MAX_AGE_NANOS = 10_000_000_000L;

    private record Sample(long atNanos, double lagBytes, double walRetainedBytes, double storageBytes) {}

    private final BucketStorage storage;
    private final Supplier<Connection> sourceDb;
    private final String slotName;
    private Sample last;

    private ReplicationGauges(BucketStorage storage, Supplier<Connection> sourceDb, String slotName) {
        this.storage = storage;
        this.sourceDb = sourceDb;
        this.slotName = slotName;
    }

    public static void register(MeterRegistry metrics, BucketStorage storage, Supplier<Connection> sourceDb,
                                String slotName) {
        ReplicationGauges g = new ReplicationGauges(storage, sourceDb, slotName);
        Gauge.builder("syncline.replication.lag.bytes", g, x -> x.sample().lagBytes())
                .description("WAL bytes between pg_current_wal_lsn() and the position storage holds").register(metrics);
        Gauge.builder("syncline.replication.wal.retained.bytes", g, x -> x.sample().walRetainedBytes())
                .description("WAL the slot keeps on the source: pg_current_wal_lsn() - restart_lsn").register(metrics);
        Gauge.builder("syncline.storage.bytes", g, x -> x.sample().storageBytes())
                .description("Bytes bucket storage uses on disk").register(metrics);
    }

    private synchronized Sample sample() {
        long now = System.nanoTime();
        if (last != null && now - last.atNanos() < MAX_AGE_NANOS) {
            return last;
        }
        double storageBytes = storage.diskBytes();
        double lag = Double.NaN;
        double retained = Double.NaN;
        long stored;
        try (ReadView view = storage.reader().open()) {
            stored = Diagnostics.storedPosition(view.writerState());
        }
        try (Connection c = sourceDb.get()) {
            SlotState slot = SlotState.read(c, slotName);
            lag = Math.max(0, slot.current().value() - stored);
            if (slot.walRetainedBytes() != null) {
                retained = slot.walRetainedBytes();
            }
        } catch (Exception e) {
            // the source is down: NaN says "unknown", readiness and the log say why
        }
        last = new Sample(now, lag, retained, storageBytes);
        return last;
    }
}
