package dev.syncline.server.auth;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Refreshes JWKS caches in the background every {@code interval}, the first time one interval after
 * start ({@link ClientAuth} loads them once before that). One daemon thread for all URLs; a slow URL
 * delays the others by at most its HTTP timeout.
 */
public final class JwksRefresher implements AutoCloseable {
    private final ScheduledExecutorService scheduler;

    private JwksRefresher(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    public static JwksRefresher start(List<RemoteJwksKeySource> sources, Duration interval) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "syncline-jwks-refresh");
            t.setDaemon(true);
            return t;
        });
        for (RemoteJwksKeySource source : sources) {
            // refresh() never throws, so a failure cannot cancel the schedule.
            scheduler.scheduleWithFixedDelay(source::refresh, interval.toMillis(), interval.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        return new JwksRefresher(scheduler);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
