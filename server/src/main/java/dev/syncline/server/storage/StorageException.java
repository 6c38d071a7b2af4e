package dev.syncline.server.storage;

/**
 * Bucket storage failed (I/O, corruption, a schema it cannot read). Not retryable in place: the
 * pipeline stops, nothing past the last durable commit was acknowledged, and a restart replays.
 */
public class StorageException extends RuntimeException {
    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    public StorageException(String message) {
        super(message);
    }
}
