package dev.syncline.server.pipeline;

import java.time.Duration;

/**
 * When the pipeline commits a batch of whole source transactions: as soon as the stream has
 * nothing more queued, or once a batch holds {@code maxChanges} changes or has been open for
 * {@code maxDelay}, whichever comes first. A busy stream thus gets few large commits; an idle one
 * gets each transaction committed at once.
 */
public record BatchPolicy(int maxChanges, Duration maxDelay) {
    public static final BatchPolicy DEFAULT = new BatchPolicy(20_000, Duration.ofMillis(200));

    public BatchPolicy {
        if (maxChanges < 1 || maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxChanges must be positive and maxDelay not negative");
        }
    }
}
