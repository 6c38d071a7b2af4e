package dev.syncline.server.ws;

import dev.syncline.server.sync.LineWriter;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Timed waits on a monitor against an injectable clock: each wait lasts at most one second, so a
 * deadline measured on the clock (the token's expiry) is noticed whether the clock is the system's
 * or a test's.
 */
final class Waits {
    private static final Duration SLICE = Duration.ofSeconds(1);

    private Waits() {}

    /**
     * Waits on {@code monitor} (held by the caller) for a notify or one slice, whichever is first.
     *
     * @throws LineWriter.TokenExpired when {@code deadline} has passed
     */
    static void await(Object monitor, Clock clock, Instant deadline) throws IOException {
        Duration left = Duration.between(clock.instant(), deadline);
        if (left.isNegative() || left.isZero()) {
            throw new LineWriter.TokenExpired();
        }
        long millis = left.compareTo(SLICE) > 0 ? SLICE.toMillis() : Math.max(1, left.toMillis());
        try {
            monitor.wait(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("stream cancelled");
        }
    }
}
