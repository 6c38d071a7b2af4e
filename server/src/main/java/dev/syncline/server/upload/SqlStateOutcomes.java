package dev.syncline.server.upload;

/**
 * SQLSTATE → what an upload failure means, decided once here (PostgreSQL Appendix A codes).
 * Transient failures are worth retrying with the same transaction; a statement timeout may pass
 * (a lock held elsewhere, a busy server) but more often comes back every time, so it is retried
 * by the client, a bounded number of times ({@code upload.timeout_attempts}); everything else
 * rejects the transaction.
 */
public final class SqlStateOutcomes {
    /** How a failed client transaction is handled. */
    public enum Kind { TRANSIENT, TIMED_OUT, REJECTED }

    /** {@code code} is null unless the kind is {@link Kind#REJECTED}; {@code schemaChanged} asks for a catalog reload. */
    public record Classification(Kind kind, UploadErrorCode code, boolean schemaChanged) {}

    private SqlStateOutcomes() {}

    public static Classification classify(String sqlState) {
        if (sqlState == null || sqlState.length() != 5) {
            // pgjdbc reports a broken socket without a server SQLSTATE.
            return new Classification(Kind.TRANSIENT, null, false);
        }
        String category = sqlState.substring(0, 2);
        return switch (sqlState) {
            case "40001", "40P01", "55P03", "57P01", "57P02", "57P03", "25P03" ->
                    new Classification(Kind.TRANSIENT, null, false);
            // query_canceled: statement_timeout (or an operator's pg_cancel_backend).
            case "57014" -> new Classification(Kind.TIMED_OUT, null, false);
            case "42501" -> rejected(UploadErrorCode.SYNC_U2003);
            case "42P01" -> new Classification(Kind.REJECTED, UploadErrorCode.SYNC_U2001, true);
            case "42703" -> new Classification(Kind.REJECTED, UploadErrorCode.SYNC_U2002, true);
            // datatype_mismatch and cannot_coerce: the column's type changed since the catalog was read.
            case "42804", "42846" -> new Classification(Kind.REJECTED, UploadErrorCode.SYNC_U2006, true);
            default -> switch (category) {
                case "08", "53", "58" -> new Classification(Kind.TRANSIENT, null, false);
                case "23" -> rejected(UploadErrorCode.SYNC_U2005);
                case "22" -> rejected(UploadErrorCode.SYNC_U2006);
                default -> rejected(UploadErrorCode.SYNC_U2007);
            };
        };
    }

    private static Classification rejected(UploadErrorCode code) {
        return new Classification(Kind.REJECTED, code, false);
    }
}
