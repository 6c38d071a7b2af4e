package dev.syncline.server.sync;

/**
 * A failure to report to a sync client: an HTTP status (before streaming starts), a stable code
 * and a description that says what to do. Descriptions never contain tokens, SQL or configuration.
 */
public class SyncException extends RuntimeException {
    private final String code;
    private final int status;
    private final long retryAfterSeconds;

    public SyncException(dev.syncline.server.errors.ServerError error, String description) {
        this(error.code(), error.status(), description, 0);
    }

    /** @param retryAfterSeconds sent as {@code Retry-After} (with 429 and 503); 0 sends none */
    public SyncException(dev.syncline.server.errors.ServerError error, String description, long retryAfterSeconds) {
        this(error.code(), error.status(), description, retryAfterSeconds);
    }

    /** For codes of the other catalogue enums (auth, uploads), which carry their own status. */
    public SyncException(String code, int status, String description) {
        this(code, status, description, 0);
    }

    /** @param retryAfterSeconds sent as {@code Retry-After} (with 429 and 503); 0 sends none */
    public SyncException(String code, int status, String description, long retryAfterSeconds) {
        super(description);
        this.code = code;
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public String code() { return code; }
    public int status() { return status; }
    public long retryAfterSeconds() { return retryAfterSeconds; }
}
