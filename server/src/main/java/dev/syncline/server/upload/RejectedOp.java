package dev.syncline.server.upload;

/** An op refused before or while it ran; the whole client transaction is rejected with this code. */
final class RejectedOp extends RuntimeException {
    private final UploadErrorCode code;

    RejectedOp(UploadErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    UploadErrorCode code() { return code; }
}
