package dev.syncline.server.upload;

import java.util.Objects;

/**
 * What happened to one client transaction; one entry of the response's {@code transactions}.
 *
 * @param code    null when applied or duplicate
 * @param message what a developer can act on; null when applied or duplicate
 * @param xid     when applied: the PostgreSQL transaction id it committed as, 32-bit as
 *                {@code pg_current_xact_id()::xid} (the number pgoutput and so the Electric Shape
 *                API's {@code headers.txids} carry; docs/upload.md, Read-your-writes); else null
 */
public record TransactionOutcome(long txId, Status status, UploadErrorCode code, String message, Long xid) {
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
        if (xid != null && status != Status.APPLIED) {
            throw new IllegalArgumentException(status + " has no transaction id");
        }
    }

    public static TransactionOutcome applied(long txId, long xid) {
        return new TransactionOutcome(txId, Status.APPLIED, null, null, xid);
    }

    public static TransactionOutcome duplicate(long txId) {
        return new TransactionOutcome(txId, Status.DUPLICATE, null, null, null);
    }

    public static TransactionOutcome rejected(long txId, UploadErrorCode code, String message) {
        return new TransactionOutcome(txId, Status.REJECTED, code, message, null);
    }

    public static TransactionOutcome retryable(long txId, String message) {
        return new TransactionOutcome(txId, Status.RETRYABLE, UploadErrorCode.SYNC_U2008, message, null);
    }
}
