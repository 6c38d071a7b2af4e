package dev.syncline.server.pipeline;

import java.time.Duration;

/**
 * When the pipeline commits a batch of whole source transactions: as soon as the stream has
 * nothing more queued, or once a batch holds {@code maxChanges} changes or has been open for
 * {@code maxDelay}, whichever comes first. A busy stream thus gets few large commits; an idle one
 * gets each transaction committed at once.
 *
 * <p>The limits only matter while a backlog keeps the stream busy. The default lets such a batch
 * run for up to a second: each fsync-ed commit then carries more changes (under load a commit took
 * ~80 ms of wall time on the benchmark machine, most of it waiting for the disk), at the price of
 * up to a second of extra latency while the backlog lasts (docs/benchmarks.md, P1).
 */
public record BatchPolicy(int maxChanges, Duration maxDelay) {
    public static final BatchPolicy DEFAULT = new BatchPolicy(100_000, Duration.ofSeconds(1));

    public BatchPolicy {
        if (maxChanges < 1 || maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxChanges must be positive and maxDelay not negative");
        }
    }
}
