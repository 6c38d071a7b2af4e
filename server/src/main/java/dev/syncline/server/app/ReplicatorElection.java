package dev.syncline.server.app;

import dev.syncline.server.storage.postgres.ReplicatorLease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Runs a node's side of the replicator election on PostgreSQL storage: every {@link #INTERVAL} it
 * tries the {@link ReplicatorLease} (or, while holding it, checks it still does), and calls
 * {@code onAcquired} / {@code onLost} on its own thread. A node that lost the lease stands back for
 * {@link #STAND_BACK} before trying again, so that another node takes over (a node cut off from
 * storage for a moment would otherwise often win its own lease back).
 */
final class ReplicatorElection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicatorElection.class);
    static final Duration INTERVAL = Duration.ofSeconds(1);
    static final Duration STAND_BACK = Duration.ofSeconds(3);

    private final ReplicatorLease lease;
    private final Runnable onAcquired;
    private final Runnable onLost;
    private final Thread thread;
    private volatile boolean running = true;

    /** The replicator lease of a PostgreSQL storage (in its schema), null for SQLite. */
    static ReplicatorLease leaseFor(dev.syncline.server.config.SynclineConfig config) {
        if (!config.storage().type().equals("postgresql")) {
            return null;
        }
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "localhost";
        }
        var db = config.storage().postgres();
        return new ReplicatorLease(db.jdbcUrl(), leaseSessionProperties(db.jdbcProperties()), config.storage().schema(),
                host + " pid " + ProcessHandle.current().pid());
    }

    /**
     * How long PostgreSQL keeps an idle lease session — and with it the advisory lock — of a node it
     * no longer hears from. The holder queries its lease connection every {@link #INTERVAL}, so a live
     * holder is never idle this long; a partition that drops packets without a reset leaves the
     * backend waiting for the next query, and without this it would keep the lock until its TCP
     * keepalive gives up (2 h by default), blocking any take-over. Longer than the holder's own
     * bound: its lease check times out after 10 s ({@code socketTimeout} of the lease connection),
     * so it has stopped capture about 4 s before PostgreSQL lets another node take the lease.
     */
    static final Duration LEASE_SESSION_IDLE_TIMEOUT = Duration.ofSeconds(15);

    /** The storage connection's properties plus {@code idle_session_timeout} (PostgreSQL 14+) for the lease session. */
    static java.util.Properties leaseSessionProperties(java.util.Properties storage) {
        java.util.Properties p = new java.util.Properties();
        p.putAll(storage);
        String timeout = "-c idle_session_timeout=" + LEASE_SESSION_IDLE_TIMEOUT.toMillis();
        String options = p.getProperty("options");
        p.setProperty("options", options == null || options.isBlank() ? timeout : options + " " + timeout);
        return p;
    }

    ReplicatorElection(ReplicatorLease lease, Runnable onAcquired, Runnable onLost) {
        this.lease = lease;
        this.onAcquired = onAcquired;
        this.onLost = onLost;
        this.thread = Thread.ofPlatform().daemon().name("syncline-replicator-election").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    boolean replicating() {
        return lease.held();
    }

    long epoch() {
        return lease.epoch();
    }

    private void run() {
        long standBackUntil = 0;
        boolean holding = false;
        while (running) {
            try {
                if (holding) {
                    if (!lease.stillHeld()) {
                        holding = false;
                        standBackUntil = System.nanoTime() + STAND_BACK.toNanos();
                        onLost.run();
                    }
                } else if (System.nanoTime() >= standBackUntil && lease.tryAcquire()) {
                    holding = true;
                    log.info("this node ({}) holds the replicator lease, epoch {}: it replicates now", lease.holder(),
                            lease.epoch());
                    onAcquired.run();
                }
            } catch (RuntimeException e) {
                log.warn("replicator election: {}", e.toString(), e);
                if (holding) {   // could not start (or stop) replicating: give the lease to another node
                    holding = false;
                    lease.release();
                    standBackUntil = System.nanoTime() + STAND_BACK.toNanos();
                    try {
                        onLost.run();
                    } catch (RuntimeException ignored) {
                        // logged by the first failure
                    }
                }
            }
            try {
                Thread.sleep(INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Stops trying and checking; the lease stays held until {@link ReplicatorLease#release} (the caller
     * stops capture first, so its last writes are not refused).
     */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
