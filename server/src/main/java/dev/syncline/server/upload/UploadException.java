package dev.syncline.server.upload;

/**
 * A whole upload request refused: a {@code SYNC_U1xxx} code, its HTTP status and a message safe
 * to show any client. What only an operator should see (the database user, host and port, the
 * SQL that fixes a setup problem) goes in {@link #operatorDetail()}, which is logged, never sent.
 */
public final class UploadException extends RuntimeException {
    private final UploadErrorCode code;
    private final String operatorDetail;

    public UploadException(UploadErrorCode code, String message) {
        this(code, message, null);
    }

    public UploadException(UploadErrorCode code, String message, String operatorDetail) {
        super(message);
        if (code.httpStatus() == 0) {
            throw new IllegalArgumentException(code + " is a transaction outcome, not a request error");
        }
        this.code = code;
        this.operatorDetail = operatorDetail;
    }

    public UploadErrorCode code() { return code; }

    public int status() { return code.httpStatus(); }

    /** For the server log only; null when the message says it all. */
    public String operatorDetail() { return operatorDetail; }
}
