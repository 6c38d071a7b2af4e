package dev.syncline.server.shape;

/**
 * A shape request the server refuses: a code ({@link ShapeErrorCode}; catalogue in docs/errors.md), the HTTP status and
 * a message that names the value found and what to do.
 */
public final class ShapeException extends RuntimeException {
    private final String code;
    private final int status;

    public ShapeException(ShapeErrorCode code, String message) {
        this(code.name(), code.status(), message);
    }

    /** For codes of other catalogue enums (a refused token: {@code PSYNC_S21xx}), which carry their own status. */
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

    static ShapeException badRequest(ShapeErrorCode code, String message) {
        return new ShapeException(code, message);
    }
}
