package dev.syncline.server.storage;

/**
 * The single writer of bucket storage (the replication pipeline).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>One writer per storage; its methods and its transactions are used from one thread.</li>
 *   <li>{@link #loadState()} returns exactly what the last successful
 *       {@link WriteTransaction#commit} stored; nothing of a transaction that was closed without
 *       commit, or cut short by a crash, is visible afterwards.</li>
 *   <li>At most one {@link WriteTransaction} is open at a time.</li>
 * </ul>
 */
public interface BucketWriter {

    WriterState loadState();

    /** Opens a write transaction; holds the storage's write lock until commit or close. */
    WriteTransaction begin();
}
