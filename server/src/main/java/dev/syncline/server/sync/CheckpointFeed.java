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
}
