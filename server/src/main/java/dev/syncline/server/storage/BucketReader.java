package dev.syncline.server.storage;

/**
 * Read access for sync streams and tools.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Thread-safe; views may be open at once on any threads: any number on SQLite; on
 *       PostgreSQL at most {@code storage.max_read_connections} per process, more wait for one
 *       (so a view must not be held while waiting on anything but storage, {@link #holdViews()}).</li>
 *   <li>A {@link ReadView} sees one committed state for its whole life: never part of a write
 *       transaction, never a change committed after it was opened.</li>
 *   <li>Readers never block the writer, and the writer never blocks readers.</li>
 * </ul>
 */
public interface BucketReader {

    ReadView open();

    /**
     * Whether a view is cheap to keep open between reads, e.g. while the lines read are written to
     * a client's socket (a slow client can hold it for long). False where views are a bounded
     * resource (PostgreSQL storage's read connections): a reader then opens one per read.
     */
    default boolean holdViews() {
        return true;
    }
}
