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
 * (one source query and one storage read), so frequent scrapes cost nothing extra. A scrape waits
 * at most {@link #MAX_WAIT_MILLIS} for a sample (an unreachable source can take the driver's connect
 * timeout) and otherwise shows the previous one. NaN while the source cannot be read.
 */
public final class ReplicationGauges {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ReplicationGauges.class);
    static final long MAX_AGE_NANOS = 10_000_000_000L;
    static final long MAX_WAIT_MILLIS = 1_000;

    private record Sample(long atNanos, double lagBytes, double walRetainedBytes, double storageBytes,
                          double lagSeconds) {}

    private final Supplier<BucketStorage> storage;
    private final Supplier<Connection> sourceDb;
    private final Supplier<String> slotName;
    private Sample last = new Sample(Long.MIN_VALUE, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    private java.util.concurrent.CompletableFuture<Sample> inFlight;
    /** The thread taking the sample in flight, when it started, and whether its slowness was logged. */
    private volatile Thread sampler;
    private long inFlightSince;
    private boolean slownessLogged;

    private ReplicationGauges(Supplier<BucketStorage> storage, Supplier<Connection> sourceDb, Supplier<String> slotName) {
        this.storage = storage;
        this.sourceDb = sourceDb;
        this.slotName = slotName;
    }

    /** {@code storage} and {@code slotName}: the active storage generation's, asked at every sample. */
    public static void register(MeterRegistry metrics, Supplier<BucketStorage> storage, Supplier<Connection> sourceDb,
                                Supplier<String> slotName) {
        ReplicationGauges g = new ReplicationGauges(storage, sourceDb, slotName);
        Gauge.builder("syncline.replication.lag.bytes", g, x -> x.sample().lagBytes())
                .description("WAL bytes between pg_current_wal_lsn() and the position storage holds").register(metrics);
        Gauge.builder("syncline.replication.lag.seconds", g, x -> x.sample().lagSeconds())
                .description("PostgreSQL's flush_lag of the slot's walsender: how long ago the source wrote the WAL "
                        + "storage last confirmed (NaN when capture does not stream)").register(metrics);
        Gauge.builder("syncline.replication.wal.retained.bytes", g, x -> x.sample().walRetainedBytes())
                .description("WAL the slot keeps on the source: pg_current_wal_lsn() - restart_lsn").register(metrics);
        Gauge.builder("syncline.storage.bytes", g, x -> x.sample().storageBytes())
                .description("Bytes bucket storage uses on disk").register(metrics);
    }

    private synchronized Sample sample() {
        if (last.atNanos() != Long.MIN_VALUE && System.nanoTime() - last.atNanos() < MAX_AGE_NANOS) {
            return last;
        }
        if (inFlight == null) {
            // A platform thread: in a JVM whose virtual-thread carriers are all pinned, a virtual
            // sampler never ran and the gauges stayed NaN (seen in the full IT suite).
            inFlight = java.util.concurrent.CompletableFuture.supplyAsync(this::read,
                    r -> sampler = Thread.ofPlatform().daemon().name("syncline-replication-gauges").start(r));
            inFlightSince = System.nanoTime();
            slownessLogged = false;
        }
        try {
            last = inFlight.get(MAX_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
            inFlight = null;
        } catch (java.util.concurrent.TimeoutException e) {
            // still reading: show the previous sample, the next scrape picks this one up
            if (!slownessLogged && System.nanoTime() - inFlightSince > SLOW_SAMPLE_NANOS) {
                slownessLogged = true;
                Thread t = sampler;
                log.warn("the replication gauges have waited {} s for storage and the source database; "
                        + "they show the previous sample until it comes. The sampler is at:{}",
                        (System.nanoTime() - inFlightSince) / 1_000_000_000L, stack(t));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            inFlight = null;   // keep the previous sample, try again next scrape
            log.warn("could not sample the replication gauges: {}", e.getCause().toString());
        }
        return last;
    }

    private static final long SLOW_SAMPLE_NANOS = 20_000_000_000L;

    private static String stack(Thread t) {
        StringBuilder b = new StringBuilder();
        if (t != null) {
            for (StackTraceElement e : t.getStackTrace()) {
                b.append("\n\tat ").append(e);
            }
        }
        return b.toString();
    }

    /** Each figure on its own: one that cannot be read is NaN and does not blank the others. */
    private Sample read() {
        long now = System.nanoTime();
        double storageBytes = Double.NaN;
        double lag = Double.NaN;
        double retained = Double.NaN;
        double lagSeconds = Double.NaN;
        Long stored = null;
        try {
            BucketStorage active = storage.get();
            storageBytes = active.diskBytes();
            try (ReadView view = active.reader().open()) {
                stored = Diagnostics.storedPosition(view.writerState());
            }
        } catch (RuntimeException e) {
            log.warn("could not read bucket storage for the replication gauges: {}", e.toString());
        }
        try (Connection c = sourceDb.get()) {
            SlotState slot = SlotState.read(c, slotName.get());
            if (stored != null) {
                lag = Math.max(0, slot.current().value() - stored);
            }
            if (slot.walRetainedBytes() != null) {
                retained = slot.walRetainedBytes();
            }
            if (slot.lagSeconds() != null) {
                lagSeconds = slot.lagSeconds();
            }
        } catch (Exception e) {
            // the source is down: NaN says "unknown", readiness and the log say why
        }
        return new Sample(now, lag, retained, storageBytes, lagSeconds);
    }
}
