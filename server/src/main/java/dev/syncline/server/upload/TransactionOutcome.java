package dev.syncline.server.upload;

import java.util.Objects;

/**
 * What happened to one client transaction; one entry of the response's {@code transactions}.
 *
 * @param code    null when applied or duplicate
 * @param message what a developer can act on; null when applied or duplicate
 */
public record TransactionOutcome(long txId, Status status, UploadErrorCode code, String message) {
    public enum Status {
        /** Committed now. */
        APPLIED,
        /** Committed by an earlier request (same user, client and tx id); nothing changed now. */
        DUPLICATE,
        /** Refused for good and rolled back; the client should drop it and move on. */
        REJECTED,
        /** Not applied because of a transient failure; send it again later. */
        RETRYABLE;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public TransactionOutcome {
        Objects.requireNonNull(status, "status");
        if ((status == Status.REJECTED || status == Status.RETRYABLE) && (code == null || message == null)) {
            throw new IllegalArgumentException(status + " needs a code and a message");
        }
    }

    public static TransactionOutcome applied(long txId) {
        return new TransactionOutcome(txId, Status.APPLIED, null, null);
    }

    public static TransactionOutcome duplicate(long txId) {
        return new TransactionOutcome(txId, Status.DUPLICATE, null, null);
    }

    public static TransactionOutcome rejected(long txId, UploadErrorCode code, String message) {
        return new TransactionOutcome(txId, Status.REJECTED, code, message);
    }

    public static TransactionOutcome retryable(long txId, String message) {
        return new TransactionOutcome(txId, Status.RETRYABLE, UploadErrorCode.SYNC_U2008, message);
    }
}
