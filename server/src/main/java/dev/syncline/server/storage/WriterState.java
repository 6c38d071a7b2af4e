package dev.syncline.server.storage;

/**
 * What the writer durably stored on behalf of the source: its snapshot progress, opaque to
 * storage (null before the first snapshot), and the commit position of the last stored source
 * transaction ({@link CommitPosition#ZERO} if none).
 */
public record WriterState(String snapshotProgress, CommitPosition storedCommit) {
    public static final WriterState EMPTY = new WriterState(null, CommitPosition.ZERO);
}
