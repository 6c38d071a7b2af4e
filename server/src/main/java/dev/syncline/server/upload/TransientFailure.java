package dev.syncline.server.upload;

import java.sql.SQLException;

/** A client transaction failed for a reason that may pass (see {@link SqlStateOutcomes}); nothing was committed. */
final class TransientFailure extends Exception {
    private final boolean connectionLost;

    TransientFailure(SQLException cause) {
        super(cause.getMessage(), cause);
        String state = cause.getSQLState();
        this.connectionLost = state == null || state.startsWith("08") || state.startsWith("57P");
    }

    /** The connection must be discarded. */
    boolean connectionLost() {
        return connectionLost;
    }
}
