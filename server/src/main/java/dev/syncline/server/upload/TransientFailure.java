package dev.syncline.server.upload;

import java.sql.SQLException;

/** A client transaction failed for a reason that may pass (see {@link SqlStateOutcomes}); nothing was committed. */
final class TransientFailure extends Exception {
    private final boolean connectionLost;
    private final boolean timedOut;
    private final String op;

    TransientFailure(SQLException cause) {
        this(cause, null);
    }

    private TransientFailure(SQLException cause, String op) {
        super(cause.getMessage(), cause);
        String state = cause.getSQLState();
        this.connectionLost = state == null || state.startsWith("08") || state.startsWith("57P");
        this.timedOut = SqlStateOutcomes.classify(state).kind() == SqlStateOutcomes.Kind.TIMED_OUT;
        this.op = op;
    }

    /** The same failure, said to have happened in {@code op} (e.g. {@code op 2 (PUT todos/…)}). */
    TransientFailure at(String op) {
        return new TransientFailure((SQLException) getCause(), op);
    }

    /** The connection must be discarded. */
    boolean connectionLost() {
        return connectionLost;
    }

    /** A statement ran past {@code statement_timeout} (SQLSTATE 57014). */
    boolean timedOut() {
        return timedOut;
    }

    /** The op that failed, or null when it failed outside the ops (marker row, role switch, commit). */
    String op() {
        return op;
    }
}
