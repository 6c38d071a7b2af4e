package dev.syncline.server.sync;

/**
 * A failure to report to a sync client: an HTTP status (before streaming starts), a stable code
 * and a description that says what to do. Descriptions never contain tokens, SQL or configuration.
 */
public class SyncException extends RuntimeException {
    private final String code;
    private final int status;

    public SyncException(String code, int status, String description) {
        super(description);
        this.code = code;
        this.status = status;
    }

    public String code() { return code; }
    public int status() { return status; }
}
