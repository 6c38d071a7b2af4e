package dev.syncline.server.storage;

/**
 * One opened bucket storage backend: the parts below, each behind its own narrow interface.
 * Every backend passes the shared contract suite ({@code BucketStorageContractTest}).
 */
public interface BucketStorage extends AutoCloseable {

    BucketWriter writer();

    BucketReader reader();

    CheckpointNotifier checkpoints();

    BucketCompactor compactor();

    /** Write-checkpoint bookkeeping, durable in the same storage (see {@link WriteCheckpointStore}). */
    WriteCheckpointStore writeCheckpoints();

    /** Bytes used on disk (all files of the backend), for operators. */
    long diskBytes();

    @Override
    void close();
}
