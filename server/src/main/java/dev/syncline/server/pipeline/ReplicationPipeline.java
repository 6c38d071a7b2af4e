package dev.syncline.server.pipeline;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.CaptureSink;
import dev.syncline.server.source.postgres.CaptureState;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.RowImageLookup;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.SourceTable;
import dev.syncline.server.source.postgres.SourceTransaction;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.StoredSourceRow;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.storage.WriterState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Capture → sync rules → bucket storage. A {@link CaptureSink} that writes each change's bucket
 * ops into an open storage transaction as it arrives (so a transaction of any size passes in
 * bounded memory) and commits whole source transactions in batches ({@link BatchPolicy}), then
 * acknowledges the batch's end LSN — never before the commit is durable.
 *
 * <p>A checkpoint is recorded only once the stored state is a consistent image of the source: the
 * copy is complete and the stream has passed the copy's consistent point.
 *
 * <p>Also the {@link RowImageLookup} for capture: it reads through the open transaction, so it
 * sees rows written earlier in the same, not yet committed, batch.
 *
 * <p>Called from one thread: the capture thread, or the writer thread of a {@link HandOffPipeline}
 * (which then calls {@link #prepare} on the capture thread). On any failure the open transaction is
 * rolled back and the error propagates: capture stops, and a restart replays from the last durable
 * commit.
 */
public final class ReplicationPipeline implements CaptureSink, RowImageLookup {
    private static final Logger log = LoggerFactory.getLogger(ReplicationPipeline.class);

    private final BucketStorage storage;
    private final ChangeApplier applier;
    private final BatchPolicy policy;
    private final LongSupplier nanoClock;
    private DurableAck ack = lsn -> { };
    private SnapshotProgress snapshot;
    private Lsn storedCommitLsn = Lsn.ZERO;
    private boolean consistent;

    private WriteTransaction tx;
    private long batchStartNanos;
    private long batchChanges;
    private Lsn batchCommitLsn;
    private Lsn ackAfterCommit;
    private boolean inSourceTransaction;
    private boolean skippingTransaction;

    public ReplicationPipeline(BucketStorage storage, RowEvaluator evaluator, BatchPolicy policy, LongSupplier nanoClock) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.applier = new ChangeApplier(evaluator);
        this.policy = policy;
        this.nanoClock = nanoClock;
    }

    @Override
    public void open(DurableAck ack) {
        this.ack = ack;
    }

    @Override
    public CaptureState loadState() {
        // A capture (re)starting resumes from what is durable; a batch left open by a previous
        // capture run was never acknowledged and will be streamed again.
        abort();
        WriterState stored = storage.writer().loadState();
        CaptureState state = new CaptureState(stored.snapshotProgress() == null ? null
                : StoredProgress.decode(stored.snapshotProgress()), SourceIds.lsn(stored.storedCommit()),
                stored.acknowledged() == null ? null : SourceIds.lsn(stored.acknowledged()));
        snapshot = state.snapshot();
        storedCommitLsn = state.storedCommitLsn();
        consistent = storage.checkpoints().latest().isPresent();
        return state;
    }

    @Override
    public void snapshotStarted(SnapshotProgress progress) {
        guarded(() -> {
            commitBatch();
            snapshot = progress;
            try (WriteTransaction t = storage.writer().begin()) {
                t.snapshotProgress(StoredProgress.encode(progress));
                t.commit(null, false);
            }
        });
    }

    @Override
    public void snapshotChunk(SourceTable table, List<Row> rows, SnapshotProgress progress) {
        guarded(() -> {
            commitBatch();
            try (WriteTransaction t = storage.writer().begin()) {
                applier.upsertAll(t, rows);
                t.snapshotProgress(StoredProgress.encode(progress));
                t.commit(null, false);
            }
            snapshot = progress;
        });
    }

    @Override
    public void begin(SourceTransaction.Begin begin) {
        guarded(() -> {
            inSourceTransaction = true;
            // Capture already filters replays; this guard keeps the sink idempotent on its own.
            skippingTransaction = begin.commitLsn().isAtOrBefore(storedCommitLsn);
            if (!skippingTransaction) {
                transaction();
            }
        });
    }

    @Override
    public void change(RowChange change) {
        if (skippingTransaction) {
            return;
        }
        guarded(() -> batchChanges += applier.apply(transaction(), applier.prepare(change)));
    }

    /**
     * The part of {@link #change} that needs no storage: rules, ids, checksums. Pure apart from the
     * evaluator, so it may run on another thread than the rest ({@link HandOffPipeline}).
     */
    PreparedChange prepare(RowChange change) {
        return applier.prepare(change);
    }

    /**
     * A hint from {@link HandOffPipeline}: these changes come next, so storage may read their rows'
     * stored states at once. Nothing is read while a transaction is being skipped (a replay);
     * returns whether the hint was passed on.
     */
    boolean prefetch(List<PreparedChange> upcoming) {
        if (skippingTransaction || upcoming.isEmpty()) {
            return false;
        }
        guarded(() -> {
            List<dev.syncline.server.storage.SourceRowId> ids = new java.util.ArrayList<>(upcoming.size());
            for (PreparedChange c : upcoming) {
                ChangeApplier.rowIds(c, ids);
            }
            transaction().prefetch(ids);
        });
        return true;
    }

    /** {@link #change} for a change prepared with {@link #prepare}. */
    void change(PreparedChange change) {
        if (skippingTransaction) {
            return;
        }
        guarded(() -> batchChanges += applier.apply(transaction(), change));
    }

    @Override
    public void commit(SourceTransaction.Commit commit) {
        guarded(() -> {
            inSourceTransaction = false;
            if (skippingTransaction) {
                skippingTransaction = false;
                return;
            }
            if (tx != null) {
                tx.sourceTransaction(commit.xid());   // its ops → its xid, for Electric's txids (docs/electric.md)
            }
            batchCommitLsn = commit.commitLsn();
            ackAfterCommit = max(ackAfterCommit, commit.endLsn());
            markConsistentAt(commit.commitLsn());
            if (batchChanges >= policy.maxChanges()
                    || nanoClock.getAsLong() - batchStartNanos >= policy.maxDelay().toNanos()) {
                commitBatch();
            }
        });
    }

    @Override
    public void message(SourceTransaction.LogicalMessage message) {
        if (message.transactional() || inSourceTransaction) {
            return;
        }
        guarded(() -> {
            ackAfterCommit = max(ackAfterCommit, message.lsn());
            if (markConsistentAt(message.lsn())) {
                transaction();     // commit now, even if empty: that records the first checkpoint
                commitBatch();
            } else if (consistent && PgSourceSettings.WRITE_CHECKPOINT_PREFIX.equals(message.prefix())) {
                // A write checkpoint waits for replication to pass this point: record a checkpoint
                // at it now (even an empty one), so an idle database still answers the client.
                transaction();
                batchCommitLsn = max(batchCommitLsn, message.lsn());
                commitBatch();
            } else if (tx == null) {
                acknowledgeDurably();
            }
        });
    }

    @Override
    public void idle() {
        if (!inSourceTransaction) {
            guarded(this::commitBatch);
        }
    }

    @Override
    public void tableRecreated(TableName table, int oldRelationId, int newRelationId) {
        guarded(() -> {
            long removed = applier.removeAll(transaction(), table);
            batchChanges += removed;
            log.info("table {} was re-created: its {} stored rows left their buckets", table, removed);
        });
    }

    @Override
    public Optional<Row> lastImage(TableName table, List<SqlValue> key) {
        return transaction().sourceRow(SourceIds.rowId(table, key)).map(StoredSourceRow::image)
                .map(image -> SourceIds.row(image, table));
    }

    /** True if this position makes the stored state consistent for the first time. */
    private boolean markConsistentAt(Lsn lsn) {
        if (consistent || snapshot == null || !snapshot.complete() || lsn.compareTo(snapshot.consistentAfter()) < 0) {
            return false;
        }
        consistent = true;
        log.info("initial copy is consistent at {}; checkpoints start", lsn);
        return true;
    }

    private WriteTransaction transaction() {
        if (tx == null) {
            tx = storage.writer().begin();
            batchStartNanos = nanoClock.getAsLong();
            batchChanges = 0;
        }
        return tx;
    }

    private void commitBatch() {
        if (tx == null) {
            return;
        }
        WriteTransaction t = tx;
        tx = null;
        if (ackAfterCommit != null) {
            t.acknowledged(SourceIds.position(ackAfterCommit));   // durable with the batch, before PostgreSQL hears of it
        }
        t.commit(SourceIds.position(batchCommitLsn), consistent);
        if (batchCommitLsn != null) {
            storedCommitLsn = Lsn.max(storedCommitLsn, batchCommitLsn);
        }
        batchCommitLsn = null;
        acknowledge();
    }

    /**
     * A message outside any batch (an idle source's heartbeat): store the position it lets us
     * confirm before confirming it, so storage always knows how far the slot may have moved. No
     * checkpoint: nothing changed for clients.
     */
    private void acknowledgeDurably() {
        if (ackAfterCommit == null) {
            return;
        }
        try (WriteTransaction t = storage.writer().begin()) {
            t.acknowledged(SourceIds.position(ackAfterCommit));
            t.commit(null, false);
        }
        acknowledge();
    }

    private void acknowledge() {
        if (ackAfterCommit != null) {
            Lsn lsn = ackAfterCommit;
            ackAfterCommit = null;
            ack.durableUpTo(lsn);
        }
    }

    private void guarded(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException | Error e) {
            abort();
            throw e;
        }
    }

    /** Drops the uncommitted batch, if any (see {@link #abort}). */
    void abortOpenBatch() {
        abort();
    }

    /** Drops the uncommitted batch; nothing of it was acknowledged, so a restart replays it. */
    private void abort() {
        WriteTransaction t = tx;
        tx = null;
        batchCommitLsn = null;
        ackAfterCommit = null;
        inSourceTransaction = false;
        skippingTransaction = false;
        if (t != null) {
            try {
                t.close();
            } catch (RuntimeException e) {
                log.warn("rolling back the open batch failed: {}", e.toString());
            }
        }
    }

    private static Lsn max(Lsn a, Lsn b) {
        return a == null ? b : Lsn.max(a, b);
    }
}
