package dev.syncline.server.source.postgres;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a liveness deadline, so a stalled pipeline fails the test instead of hanging. */
final class Eventually {
    static final Duration DEADLINE = Duration.ofSeconds(60);

    private Eventually() {}

    static void await(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not reached within " + DEADLINE.toSeconds() + " s: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
