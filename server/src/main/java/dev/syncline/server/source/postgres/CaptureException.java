package dev.syncline.server.source.postgres;

/** A typed change-capture failure; the message says what happened, where, and what to do. */
public class CaptureException extends RuntimeException {
    private final CaptureError error;

    public CaptureException(CaptureError error, String detail) {
        this(error, detail, null);
    }

    public CaptureException(CaptureError error, String detail, Throwable cause) {
        super("[" + error.code() + "] " + detail + " — " + error.remedy(), cause);
        this.error = error;
    }

    public CaptureError error() { return error; }
    public boolean retryable() { return error.retryable(); }
}
