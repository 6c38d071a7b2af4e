package dev.syncline.server.source.postgres;

/**
 * What a {@link CaptureSink} has durably stored: the snapshot progress (null before the first
 * snapshot) and the commit LSN of the last stored source transaction ({@link Lsn#ZERO} if none).
 * Transactions whose commit LSN is at or below {@code storedCommitLsn} are skipped on replay.
 */
public record CaptureState(SnapshotProgress snapshot, Lsn storedCommitLsn) {
    public static final CaptureState EMPTY = new CaptureState(null, Lsn.ZERO);

    public boolean snapshotComplete() {
        return snapshot != null && snapshot.complete();
    }
}
