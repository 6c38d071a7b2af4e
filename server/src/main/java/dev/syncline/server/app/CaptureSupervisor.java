package dev.syncline.server.app;

import dev.syncline.server.source.postgres.CaptureException;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Keeps change capture running: a retryable failure (the connection to PostgreSQL dropped, the
 * slot still held by a dying walsender, PostgreSQL restarting) is retried with exponential backoff
 * up to 30 s; anything else ends the server through {@code termination}. Every attempt is a fresh
 * capture that resumes from what storage durably holds, so a retry loses and repeats nothing.
 */
final class CaptureSupervisor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CaptureSupervisor.class);
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Supplier<PostgresChangeCapture> captures;
    private final CompletableFuture<Void> termination;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile PostgresChangeCapture current;

    CaptureSupervisor(Supplier<PostgresChangeCapture> captures, CompletableFuture<Void> termination) {
        this.captures = captures;
        this.termination = termination;
        this.thread = Thread.ofPlatform().name("syncline-capture-supervisor").unstarted(this::supervise);
    }

    void start() {
        thread.start();
    }

    private void supervise() {
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
            } catch (RuntimeException | ExecutionException e) {
                Throwable cause = e instanceof ExecutionException || e instanceof CompletionException ? e.getCause() : e;
                capture.close();
                if (!running) {
                    return;
                }
                if (!(cause instanceof CaptureException ce) || !ce.retryable()) {
                    log.error("change capture stopped: {}", cause.getMessage());
                    termination.completeExceptionally(cause);
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
