package dev.syncline.server.upload;

/** A whole upload request refused: a {@code SYNC_U1xxx} code, its HTTP status and what to fix. */
public final class UploadException extends RuntimeException {
    private final UploadErrorCode code;

    public UploadException(UploadErrorCode code, String message) {
        super(message);
        if (code.httpStatus() == 0) {
            throw new IllegalArgumentException(code + " is a transaction outcome, not a request error");
        }
        this.code = code;
    }

    public UploadErrorCode code() { return code; }

    public int status() { return code.httpStatus(); }
}
