package dev.syncline.server.app;

import dev.syncline.server.source.postgres.CaptureError;
import dev.syncline.server.source.postgres.CaptureException;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Keeps change capture running: a retryable failure (the connection to PostgreSQL dropped, the
 * slot still held by a dying walsender, PostgreSQL restarting, the connection to a PostgreSQL
 * bucket storage lost) is retried with exponential backoff
 * up to 30 s. Every attempt is a fresh capture that resumes from what storage durably holds, so a
 * retry loses and repeats nothing.
 *
 * <p>A failure no retry can heal (wrong {@code wal_level}, missing privileges, no free slot, a
 * table without a key...) stops capture once, logged with its code and fix; the HTTP API stays up,
 * {@link #problem()} feeds {@code /probes/readiness} (false, with the code) and
 * {@code syncline_capture_stopped{code=…}} in {@code /metrics}, so an operator sees why without the log.
 */
final class CaptureSupervisor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CaptureSupervisor.class);
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Supplier<PostgresChangeCapture> captures;
    private final MeterRegistry metrics;
    private final Runnable startupReport;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile PostgresChangeCapture current;
    private volatile CaptureException problem;

    /** @param startupReport runs once before the first capture (the source checks `serve` logs) */
    CaptureSupervisor(Supplier<PostgresChangeCapture> captures, Runnable startupReport, MeterRegistry metrics) {
        this.captures = captures;
        this.startupReport = startupReport;
        this.metrics = metrics;
        this.thread = Thread.ofPlatform().name("syncline-capture-supervisor").unstarted(this::supervise);
        // syncline_capture_up is GenerationReport's: it follows whichever generation serves, through
        // problem() (registering it here too only made Micrometer warn at every start).
    }

    void start() {
        thread.start();
    }

    /** The set-up problem that stopped capture, if any. */
    Optional<CaptureException> problem() {
        return Optional.ofNullable(problem);
    }

    /** What {@code /probes/readiness} adds while capture is stopped: the code and the message with its fix. */
    Map<String, Object> readinessProblem() {
        CaptureException p = problem;
        if (p == null) {
            return Map.of();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", p.error().code());
        body.put("message", p.getMessage());
        return body;
    }

    private void supervise() {
        try {
            startupReport.run();
        } catch (RuntimeException e) {
            log.warn("source checks failed: {}", e.toString());
        }
        Duration backoff = FIRST_BACKOFF;
        while (running) {
            PostgresChangeCapture capture = captures.get();
            current = capture;
            try {
                capture.start();
                backoff = FIRST_BACKOFF;
                capture.completion().get();
                return; // closed on purpose
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | Error | ExecutionException e) {
                // An Error (a class that cannot load, out of memory) stops capture with a code like any
                // unexpected failure, instead of ending this thread silently: readiness then says why.
                Throwable cause = e instanceof ExecutionException || e instanceof CompletionException ? e.getCause() : e;
                capture.close();
                if (!running) {
                    return;
                }
                if (dev.syncline.server.storage.StorageFailures.fenced(cause)) {
                    // another node replicates now; the replicator election stops this node's capture
                    log.warn("change capture stopped: {}", cause.getMessage());
                    return;
                }
                boolean storageLost = dev.syncline.server.storage.StorageFailures.connectionLost(cause);
                if (!storageLost && (!(cause instanceof CaptureException ce) || !ce.retryable())) {
                    if (!(cause instanceof CaptureException)) {
                        log.error("change capture failed unexpectedly", cause);
                    }
                    stop(cause instanceof CaptureException ce ? ce : new CaptureException(
                            CaptureError.PROTOCOL, String.valueOf(cause), cause));
                    return;
                }
                log.warn("change capture interrupted ({}); retrying in {} s", cause.getMessage(), backoff.toSeconds());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    private void stop(CaptureException cause) {
        problem = cause;
        Gauge.builder("syncline.capture.stopped", () -> 1)
                .description("1: change capture stopped on a set-up problem an operator must fix (code tag)")
                .tag("code", cause.error().code())
                .register(metrics);
        log.error("change capture stopped, not retrying (the HTTP API stays up; /probes/readiness reports it): {}",
                cause.getMessage());
    }

    @Override
    public void close() {
        running = false;
        PostgresChangeCapture capture = current;
        if (capture != null) {
            capture.close();
        }
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
