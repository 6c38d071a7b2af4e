package dev.syncline.server.source.postgres;

/**
 * What a {@link CaptureSink} has durably stored: the snapshot progress (null before the first
 * snapshot) and the commit LSN of the last stored source transaction ({@link Lsn#ZERO} if none).
 * Transactions whose commit LSN is at or below {@code storedCommitLsn} are skipped on replay.
 *
 * @param acknowledged the highest position the sink ever reported through
 *                     {@link CaptureSink.DurableAck}, stored in the same commit that made it durable
 *                     (so it is at or past the slot's {@code confirmed_flush_lsn} for our own slot);
 *                     null if the sink does not record it, which turns off {@link SlotGuard}'s
 *                     check for a slot that moved ahead of storage
 */
public record CaptureState(SnapshotProgress snapshot, Lsn storedCommitLsn, Lsn acknowledged) {
    public static final CaptureState EMPTY = new CaptureState(null, Lsn.ZERO);

    public CaptureState(SnapshotProgress snapshot, Lsn storedCommitLsn) {
        this(snapshot, storedCommitLsn, null);
    }

    public boolean snapshotComplete() {
        return snapshot != null && snapshot.complete();
    }
}
