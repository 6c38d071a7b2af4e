package dev.syncline.server.sync;

import java.time.Duration;

/**
 * Wakes sync sessions when something they may need to send changed: a new committed checkpoint,
 * or a write checkpoint that replication has just passed. Implementations count changes in a
 * generation number, so a waiter never misses one that happened between two calls.
 */
public interface CheckpointFeed {
    /** The current generation (increases with every change). */
    long generation();

    /**
     * Blocks until the generation is greater than {@code seen} or {@code timeout} passes; returns
     * the generation then. Must not spin: one change wakes every waiter once.
     */
    long awaitChange(long seen, Duration timeout) throws InterruptedException;

    /**
     * One session's subscription, which only wakes for changes relevant to its {@link Interest}.
     * The default treats every change as relevant (for feeds that do not know what changed).
     */
    default Watch watch() {
        return new Watch() {
            @Override
            public void interest(Interest interest) {
                // every change is relevant anyway
            }

            @Override
            public Wake await(long seen, Duration timeout) throws InterruptedException {
                long generation = awaitChange(seen, timeout);
                return new Wake(generation, generation != seen);
            }

            @Override
            public void close() {
                // nothing registered
            }
        };
    }

    /**
     * The result of {@link Watch#await}: the generation the session is now up to date with, and
     * whether some change after the {@code seen} it passed may matter to it (then it must evaluate
     * its scope again; otherwise it may simply take {@code generation} as seen).
     */
    record Wake(long generation, boolean relevant) {}

    /** Used by one session thread; close it when the session ends. */
    interface Watch extends AutoCloseable {
        /** What the session's last evaluation depended on; replaces the previous interest. */
        void interest(Interest interest);

        /**
         * Blocks until a change after {@code seen} is relevant to the interest, or {@code timeout}
         * passes. Changes that are not relevant are skipped without waking the caller.
         */
        Wake await(long seen, Duration timeout) throws InterruptedException;

        @Override
        void close();
    }
}
