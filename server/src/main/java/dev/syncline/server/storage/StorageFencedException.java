package dev.syncline.server.storage;

/**
 * A write transaction refused because this node no longer holds the right to write
 * ({@code SYNC_D1301}, {@link WriterFence}): expected after a take-over, not a fault. Capture stops
 * quietly; the replicator election stops replicating on this node.
 */
public final class StorageFencedException extends StorageException {
    public StorageFencedException(String message) {
        super(message);
    }
}
