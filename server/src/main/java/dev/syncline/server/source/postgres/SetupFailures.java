package dev.syncline.server.source.postgres;

import java.sql.SQLException;

/**
 * Decides once, at the edge, what a failed statement means for capture: a problem only an operator
 * can fix (privileges, settings, limits, a catalog mismatch) or a connection problem worth a retry.
 * Classified by SQLSTATE, with the message text only where PostgreSQL uses one state for several causes.
 */
public final class SetupFailures {
    private SetupFailures() {}

    /** The typed error for {@code e}; {@code context} says what was being done, on which object. */
    public static CaptureException classify(SQLException e, String context) {
        return new CaptureException(errorOf(e), context + ": " + e.getMessage(), e);
    }

    static CaptureError errorOf(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(java.util.Locale.ROOT);
        return switch (state) {
            case "42501" -> message.contains("replication") || message.contains("wal sender") || message.contains("walsender") ? CaptureError.NOT_REPLICATION_USER
                    : message.contains("owner of publication") ? CaptureError.PUBLICATION_NOT_OWNED
                    : message.contains("for table") || message.contains("for schema") ? CaptureError.TABLE_NOT_READABLE
                    : CaptureError.PUBLICATION_NOT_PERMITTED;
            case "53400" -> CaptureError.NO_FREE_SLOT;           // all replication slots are in use
            case "53300" -> message.contains("wal_senders") || message.contains("standby")
                    ? CaptureError.NO_WAL_SENDER : CaptureError.CONNECTION; // else: max_connections, may clear
            case "55000" -> message.contains("wal_level") ? CaptureError.WAL_LEVEL_NOT_LOGICAL : CaptureError.CONNECTION;
            case "42703", "42883", "42P01", "42704" -> CaptureError.UNDEFINED_OBJECT;
            case "28000", "28P01", "3D000" -> message.contains("replication") ? CaptureError.NOT_REPLICATION_USER
                    : CaptureError.LOGIN_REJECTED;
            default -> CaptureError.CONNECTION; // 08xxx, 57P0x (shutdown, starting up), I/O errors: retry
        };
    }
}
