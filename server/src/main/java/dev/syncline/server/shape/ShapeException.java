package dev.syncline.server.shape;

/**
 * A shape request the server refuses: a code (catalogue in docs/electric.md), the HTTP status and
 * a message that names the value found and what to do.
 */
public final class ShapeException extends RuntimeException {
    private final String code;
    private final int status;

    public ShapeException(String code, int status, String message) {
        super(message);
        this.code = code;
        this.status = status;
    }

    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    static ShapeException badRequest(String code, String message) {
        return new ShapeException(code, 400, message);
    }
}
