package dev.syncline.server.pipeline;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.CaptureSink;
import dev.syncline.server.source.postgres.CaptureState;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.RowImageLookup;
import dev.syncline.server.source.postgres.RowSizes;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.SourceTable;
import dev.syncline.server.source.postgres.SourceTransaction;
import dev.syncline.server.source.postgres.TableName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Runs a {@link ReplicationPipeline} on a storage-writer thread of its own, so that the capture
 * thread (pgoutput decoding) also evaluates the sync rules and computes ids and checksums of the
 * next changes ({@link ReplicationPipeline#prepare}) while the writer is busy in SQLite — or
 * waiting for a commit's fsync. The two threads meet in a bounded queue of
 * {@value #QUEUE_CAPACITY} steps and, by the rows' estimated size ({@link RowSizes}), a budget in
 * bytes ({@code capture.max_queued_bytes}), so memory stays bounded also when rows are large, and a
 * slow writer slows capture down (whose own queue then pauses the replication reader). A change
 * larger than the whole budget still passes, alone: capture waits until the queue holds no bytes.
 *
 * <p>Order and durability are the pipeline's: the writer applies steps in stream order and the
 * pipeline acknowledges an LSN only after the commit holding it is durable; acknowledgements come
 * from the writer thread ({@link DurableAck} is thread-safe). Calls whose contract is synchronous
 * ({@link #loadState}, {@link #snapshotStarted}, {@link #snapshotChunk}, {@link #lastImage}) wait
 * until the writer has done everything queued before them and then their own step.
 *
 * <p>When a step fails on the writer, the pipeline has already rolled back its open batch; the
 * writer skips every later step, and the next call from capture throws that failure, so capture
 * stops exactly as if the pipeline had failed on its thread. {@link #loadState} (a capture
 * restarting) clears it. One capture thread calls in; {@link #close} stops the writer.
 */
public final class HandOffPipeline implements CaptureSink, RowImageLookup, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandOffPipeline.class);
    static final int QUEUE_CAPACITY = 4096;
    public static final long DEFAULT_MAX_QUEUED_BYTES = 64L << 20;

    private final ReplicationPipeline pipeline;
    private final BlockingQueue<Runnable> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread writer;
    /** Set by the writer when a step failed; read by the capture thread. */
    private volatile Throwable failure;
    private volatile boolean closed;
    /** Capture found its queue empty; the writer commits once it has caught up. */
    private volatile boolean idleRequested;
    private final long maxQueuedBytes;
    /** Guards {@link #queuedBytes}; capture waits on it when the budget is spent. */
    private final Object bytesLock = new Object();
    /** Estimated bytes of the changes handed off and not yet applied (or dropped) by the writer. */
    private long queuedBytes;

    public HandOffPipeline(ReplicationPipeline pipeline) {
        this(pipeline, DEFAULT_MAX_QUEUED_BYTES);
    }

    /** @param maxQueuedBytes estimated bytes of changes queued for the writer before capture waits */
    public HandOffPipeline(ReplicationPipeline pipeline, long maxQueuedBytes) {
        if (maxQueuedBytes < 1) {
            throw new IllegalArgumentException("maxQueuedBytes must be positive, found " + maxQueuedBytes);
        }
        this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
        this.maxQueuedBytes = maxQueuedBytes;
        this.writer = Thread.ofPlatform().name("syncline-storage-writer").daemon().unstarted(this::run);
        writer.start();
    }

    @Override
    public void open(DurableAck ack) {
        pipeline.open(ack);
    }

    @Override
    public CaptureState loadState() {
        // Runs even after a failure: a capture (re)starting resumes from what is durable.
        return call(() -> {
            failure = null;
            return pipeline.loadState();
        }, true);
    }

    @Override
    public void snapshotStarted(SnapshotProgress progress) {
        call(() -> {
            pipeline.snapshotStarted(progress);
            return null;
        }, false);
    }

    @Override
    public void snapshotChunk(SourceTable table, List<Row> rows, SnapshotProgress progress) {
        call(() -> {
            pipeline.snapshotChunk(table, rows, progress);
            return null;
        }, false);
    }

    @Override
    public void begin(SourceTransaction.Begin begin) {
        submit(() -> pipeline.begin(begin));
    }

    @Override
    public void change(RowChange change) {
        throwIfFailed();
        PreparedChange prepared;
        try {
            prepared = pipeline.prepare(change);
        } catch (RuntimeException | Error e) {
            // As on one thread: the open batch goes (the writer drops it at its next step), capture stops.
            failure = e;
            queue.offer(() -> { });
            throw e;
        }
        long bytes = RowSizes.of(change);
        reserve(bytes);
        boolean handedOff = false;
        try {
            throwIfFailed();
            put(new ChangeStep(prepared, ++handedOffChanges, sized(guard(() -> pipeline.change(prepared)), bytes)));
            handedOff = true;
        } finally {
            if (!handedOff) {
                release(bytes);
            }
        }
    }

    @Override
    public void message(SourceTransaction.LogicalMessage message) {
        submit(() -> pipeline.message(message));
    }

    @Override
    public void commit(SourceTransaction.Commit commit) {
        submit(() -> pipeline.commit(commit));
    }

    @Override
    public void tableRecreated(TableName table, int oldRelationId, int newRelationId) {
        submit(() -> pipeline.tableRecreated(table, oldRelationId, newRelationId));
    }

    /**
     * Capture has nothing queued. The writer commits its open batch once it has applied everything
     * handed to it so far and finds its own queue empty, so batching adds no latency when the
     * source is quiet. Never blocks.
     */
    @Override
    public void idle() {
        throwIfFailed();
        idleRequested = true;
        queue.offer(() -> { });     // wakes the writer if it waits; a full queue keeps it busy anyway
    }

    /** Capture asks for a TOAST image: wait until the writer has applied every change before this one. */
    @Override
    public Optional<Row> lastImage(TableName table, List<SqlValue> key) {
        return call(() -> pipeline.lastImage(table, key), false);
    }

    /** Stops the writer; steps still queued and an uncommitted batch are dropped (nothing of them was acknowledged). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (bytesLock) {
            bytesLock.notifyAll();      // a capture waiting for room gives up
        }
        writer.interrupt();
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A change handed to the writer, numbered in order, so the writer can look ahead at the next ones. */
    private record ChangeStep(PreparedChange change, long number, Runnable step) implements Runnable {
        @Override
        public void run() {
            step.run();
        }
    }

    /** Changes handed off so far (capture thread). */
    private long handedOffChanges;
    /** The writer's lookahead: changes up to this number were passed to {@link ReplicationPipeline#prefetch}. */
    private long prefetchedThrough;
    /** Changes looked ahead at per prefetch. */
    static final int PREFETCH_AHEAD = 1_000;

    /**
     * Before the writer applies a change no prefetch covered, it passes it and the changes queued
     * behind it to {@link ReplicationPipeline#prefetch}, so storage can read their rows' states in
     * one go instead of one round trip per change (PostgreSQL storage).
     */
    private void lookAhead(Runnable next) {
        if (!(next instanceof ChangeStep first) || first.number <= prefetchedThrough || failure != null) {
            return;
        }
        List<PreparedChange> upcoming = new java.util.ArrayList<>();
        upcoming.add(first.change);
        long last = first.number;
        for (Runnable r : queue) {   // weakly consistent: sees what is queued now, in order
            if (upcoming.size() >= PREFETCH_AHEAD) {
                break;
            }
            if (r instanceof ChangeStep c && c.number > last) {
                upcoming.add(c.change);
                last = c.number;
            }
        }
        try {
            if (pipeline.prefetch(upcoming)) {
                prefetchedThrough = last;
            }
        } catch (RuntimeException | Error e) {
            failure = e;   // as a failed step: the batch goes, capture stops and replays
            log.debug("storage writer prefetch failed: {}", e.toString());
        }
    }

    private void run() {
        try {
            while (!closed) {
                Runnable next = queue.take();
                lookAhead(next);
                next.run();
                if (failure != null) {
                    pipeline.abortOpenBatch();
                }
                if (idleRequested && queue.isEmpty()) {
                    idleRequested = false;
                    guard(pipeline::idle).run();
                }
            }
        } catch (InterruptedException e) {
            // closing
        } finally {
            queue.clear();
            synchronized (bytesLock) {
                queuedBytes = 0;
                bytesLock.notifyAll();
            }
            pipeline.abortOpenBatch();
        }
    }

    /** Capture waits until {@code bytes} more fit the budget, or the queue holds no bytes at all. */
    private void reserve(long bytes) {
        synchronized (bytesLock) {
            while (queuedBytes > 0 && queuedBytes + bytes > maxQueuedBytes) {
                if (closed) {
                    throw new IllegalStateException("the storage writer is closed");
                }
                try {
                    bytesLock.wait();
                } catch (InterruptedException e) {
                    throw interrupted();
                }
            }
            queuedBytes += bytes;
        }
    }

    private void release(long bytes) {
        synchronized (bytesLock) {
            queuedBytes = Math.max(0, queuedBytes - bytes);
            bytesLock.notifyAll();
        }
    }

    /** The step, giving its bytes back once the writer is done with it (applied or skipped). */
    private Runnable sized(Runnable step, long bytes) {
        return () -> {
            try {
                step.run();
            } finally {
                release(bytes);
            }
        };
    }

    /** Estimated bytes handed off and not yet applied; for tests. */
    long queuedBytes() {
        synchronized (bytesLock) {
            return queuedBytes;
        }
    }

    private void submit(Runnable step) {
        throwIfFailed();
        put(guard(step));
    }

    /** The step as the writer runs it: skipped after a failure, and a failure recorded for capture. */
    private Runnable guard(Runnable step) {
        return () -> {
            if (failure != null) {
                // The batch this belonged to is incomplete: drop it; capture stops and it is replayed.
                pipeline.abortOpenBatch();
                return;
            }
            try {
                step.run();
            } catch (RuntimeException | Error e) {
                failure = e;
                log.debug("storage writer step failed: {}", e.toString());
            }
        };
    }

    private <T> T call(Supplier<T> step, boolean evenAfterFailure) {
        if (!evenAfterFailure) {
            throwIfFailed();
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        put(() -> {
            Throwable failed = failure;
            if (failed != null && !evenAfterFailure) {
                pipeline.abortOpenBatch();
                result.completeExceptionally(failed);
                return;
            }
            try {
                result.complete(step.get());
            } catch (RuntimeException | Error e) {
                failure = e;
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the storage writer", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    private void put(Runnable step) {
        if (closed) {
            throw new IllegalStateException("the storage writer is closed");
        }
        try {
            queue.put(step);
        } catch (InterruptedException e) {
            throw interrupted();
        }
    }

    private IllegalStateException interrupted() {
        // Capture is being closed. Nothing after this step may be applied without it: the writer
        // drops the open batch and skips everything until a restart reloads the stored state.
        Thread.currentThread().interrupt();
        IllegalStateException stopped = new IllegalStateException("capture was interrupted while handing off a change");
        failure = stopped;
        return stopped;
    }

    private void throwIfFailed() {
        Throwable failed = failure;
        if (failed != null) {
            throw rethrow(failed);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
