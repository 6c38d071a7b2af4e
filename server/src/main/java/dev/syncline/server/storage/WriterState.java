package dev.syncline.server.storage;

/**
 * What the writer durably stored on behalf of the source: its snapshot progress, opaque to
 * storage (null before the first snapshot), and the commit position of the last stored source
 * transaction ({@link CommitPosition#ZERO} if none).
 *
 * @param acknowledged the highest position recorded through {@link WriteTransaction#acknowledged}, in
 *                     the commit that made it durable; null where the storage predates that record
 */
public record WriterState(String snapshotProgress, CommitPosition storedCommit, CommitPosition acknowledged) {
    public static final WriterState EMPTY = new WriterState(null, CommitPosition.ZERO, null);

    public WriterState(String snapshotProgress, CommitPosition storedCommit) {
        this(snapshotProgress, storedCommit, null);
    }
}
