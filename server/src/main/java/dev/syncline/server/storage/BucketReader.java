package dev.syncline.server.storage;

/**
 * Read access for sync streams and tools.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Thread-safe; any number of views may be open at once, on any threads.</li>
 *   <li>A {@link ReadView} sees one committed state for its whole life: never part of a write
 *       transaction, never a change committed after it was opened.</li>
 *   <li>Readers never block the writer, and the writer never blocks readers.</li>
 * </ul>
 */
public interface BucketReader {

    ReadView open();
}
