package dev.syncline.server.upload;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies one client transaction in one PostgreSQL transaction, in this order: reset the session
 * ({@link PgConnectionPool#RESET}: the pooled connection may hold what another upload left in it);
 * record (user, client, tx) in {@code syncline.applied_uploads} (a row already there means the
 * transaction was applied before: roll back, {@code duplicate}); become the configured role with
 * the user's claims ({@code set_config('role' | 'request.jwt.claims' | 'request.jwt.claim.sub', …,
 * true)}, the PostgREST convention, all local to the transaction); run the ops; commit. The
 * marker row commits or rolls back with the writes, so a retry after a lost response finds it.
 *
 * <p>All of it up to the commit is sent as one pipeline (one round trip; pgjdbc sends the
 * statements of a multi-statement prepared statement with one Sync, and PostgreSQL runs them in
 * order, stopping at the first error), then the commit: two round trips per transaction instead
 * of one per statement. A transaction of PUTs only sends its {@code COMMIT} in that same pipeline
 * (one round trip), its marker row without {@code ON CONFLICT} so that a duplicate fails there and
 * nothing after it runs. Otherwise the results decide afterwards: a marker row already there rolls back
 * ({@code duplicate}, the ops' writes with it); a failed statement, or a PATCH or DELETE that
 * touched no row, rolls back and runs the transaction again statement by statement, which tells
 * exactly what happened as it always did. Only a lost connection is not run again here (the
 * caller's retry rules apply).
 */
final class TransactionApplier {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TransactionApplier.class);
    /** The marker row, after the session reset every transaction starts with. */
    private static final String RESET_AND_MARK = PgConnectionPool.RESET + "; INSERT INTO syncline.applied_uploads (user_id, client_id, tx_id) VALUES (?, ?, ?)"
            + " ON CONFLICT DO NOTHING";
    private static final String RESET_AND_ALREADY = PgConnectionPool.RESET + "; SELECT 1 FROM syncline.applied_uploads WHERE user_id = ? AND client_id = ? AND tx_id = ?";
    /**
     * Also reads the transaction's id (the marker row assigned one) in the form pgoutput's BEGIN and
     * Electric's {@code txids} carry it: 32-bit, without xid8's epoch.
     */
    private static final String BECOME = "SELECT set_config('role', ?, true), set_config('request.jwt.claims', ?, true),"
            + " set_config('request.jwt.claim.sub', ?, true), set_config('statement_timeout', ?, true),"
            + " pg_current_xact_id()::xid::text";

    /** The pipelined start of every transaction: reset, marker row, role and claims, transaction id. */
    private static final String START = RESET_AND_MARK + "; " + BECOME;
    /**
     * The start of a transaction that commits in its own pipeline: the marker row without {@code ON
     * CONFLICT}, so a transaction applied before fails on it (unique violation) and PostgreSQL skips
     * everything after it, the {@code COMMIT} too. This part follows the reset.
     */
    static final String START_STRICT_NO_RESET = "INSERT INTO syncline.applied_uploads (user_id, client_id, tx_id)"
            + " VALUES (?, ?, ?); " + BECOME;
    private static final String START_STRICT = PgConnectionPool.RESET + "; " + START_STRICT_NO_RESET;

    /** Who writes: the token's subject and its whole claim set as JSON. */
    record Writer(String userId, String claimsJson) {}

    /** The outcome, and whether it suggests the catalog snapshot is out of date. */
    record Result(TransactionOutcome outcome, boolean schemaChanged) {}

    private final String role;
    private final String statementTimeout;

    TransactionApplier(String role, java.time.Duration statementTimeout) {
        this.role = role;
        this.statementTimeout = statementTimeout.toMillis() + "ms";
    }

    /**
     * @throws TransientFailure when the transaction may succeed if tried again (it was rolled back)
     * @throws UploadException  {@code SYNC_U1006} when the marker row or the role switch fails for
     *                          a lasting reason: a setup problem no transaction can get past
     */
    Result apply(Connection c, Writer writer, String clientId, ClientTransaction tx, WritableTables tables)
            throws TransientFailure {
        long txId = tx.txId();
        List<SqlPlan> plans = new ArrayList<>(tx.ops().size());
        try {
            for (CrudOp op : tx.ops()) {
                plans.add(OpPlanner.plan(op, tables));
            }
        } catch (RejectedOp e) {
            // Applied earlier and refused now (the schema changed since)? Then it is still a duplicate.
            try {
                return run(c, () -> alreadyApplied(c, writer, clientId, txId)
                        ? new Result(TransactionOutcome.duplicate(txId), false)
                        : new Result(TransactionOutcome.rejected(txId, e.code(), e.getMessage()), true));
            } catch (RejectedSql failed) {
                return new Result(TransactionOutcome.rejected(txId, failed.code, failed.getMessage()), false);
            }
        }
        Result pipelined = pipelined(c, writer, clientId, txId, plans);
        if (pipelined != null) {
            return pipelined;
        }
        int[] current = {-1};
        long[] xid = {0};
        try {
            Result result = run(c, () -> {
                if (!mark(c, writer, clientId, txId)) {
                    return new Result(TransactionOutcome.duplicate(txId), false);
                }
                xid[0] = become(c, writer);
                for (int i = 0; i < plans.size(); i++) {
                    current[0] = i;
                    SqlPlan plan = plans.get(i);
                    int rows = execute(c, plan);
                    if (rows == 0 && plan.expectRow()) {
                        RejectedOp missing = missingRow(c, writer, plan);
                        if (missing != null) {
                            return new Result(TransactionOutcome.rejected(txId, missing.code(),
                                    "op " + i + " (" + plan.op().describe() + "): " + missing.getMessage()), false);
                        }
                    }
                }
                return null;
            });
            return result != null ? result : new Result(TransactionOutcome.applied(txId, xid[0]), false);
        } catch (TransientFailure e) {
            throw current[0] < 0 ? e : e.at("op " + current[0] + " (" + plans.get(current[0]).op().describe() + ")");
        } catch (RejectedSql e) {
            if (current[0] < 0) {
                // The marker row or the role switch failed: the server's setup, not this user's write.
                throw new UploadException(UploadErrorCode.SYNC_U1006, UploadService.SETUP_PROBLEM,
                        "uploads cannot run: " + e.getMessage() + " — " + setupHint(role));
            }
            String where = "op " + current[0] + " (" + plans.get(current[0]).op().describe() + "): ";
            String hint = e.code == UploadErrorCode.SYNC_U2003 ? " — Row-Level Security or a privilege refused this write"
                    + " for user `" + writer.userId() + "`; check the table's policies and grants" : "";
            return new Result(TransactionOutcome.rejected(txId, e.code, where + e.getMessage() + hint), e.schemaChanged);
        }
    }

    /** What the server's database user needs, for messages about a broken setup. */
    static String setupHint(String role) {
        return "the server's database user must be able to use schema syncline (or create it), write"
                + " syncline.applied_uploads and assume role `" + role + "` (docs/upload.md, Configuration)";
    }

    private interface Work {
        /** null: commit and report applied. */
        Result run() throws SQLException;
    }

    /** Runs {@code work} as one transaction on {@code c}: commit, or roll back and classify the failure. */
    private static Result run(Connection c, Work work) throws TransientFailure {
        try {
            Result result = work.run();
            if (result == null) {
                c.commit();
                return null;
            }
            c.rollback();
            return result;
        } catch (SQLException e) {
            rollbackQuietly(c);
            SqlStateOutcomes.Classification kind = SqlStateOutcomes.classify(e.getSQLState());
            if (kind.kind() != SqlStateOutcomes.Kind.REJECTED) {
                throw new TransientFailure(e);
            }
            log.info("upload statement refused with {}: {}", kind.code(), operatorDetail(e));
            throw new RejectedSql(kind.code(), serverMessage(e), kind.schemaChanged());
        }
    }

    /**
     * The transaction in one round trip when no op needs its row count checked (no PATCH or
     * DELETE): {@link #START_STRICT}, every op and {@code COMMIT} as one pipeline; PostgreSQL runs
     * them in order and skips the rest at the first error, the {@code COMMIT} with it, so the
     * transaction is applied exactly when the pipeline returns without an error (checked again by
     * the connection's transaction state). Otherwise in two: {@link #START} and every op, then the
     * commit, decided on the results. Null when it must be run again statement by statement
     * (everything was rolled back): a duplicate, a refused op, a missing row.
     *
     * @throws TransientFailure on a lost connection (not run again here)
     */
    private Result pipelined(Connection c, Writer writer, String clientId, long txId, List<SqlPlan> plans)
            throws TransientFailure {
        boolean commitInPipeline = true;
        for (SqlPlan plan : plans) {
            commitInPipeline &= !plan.expectRow();
        }
        StringBuilder sql = new StringBuilder(commitInPipeline ? START_STRICT : START);
        for (SqlPlan plan : plans) {
            sql.append("; ").append(plan.sql());
        }
        if (commitInPipeline) {
            sql.append("; COMMIT");
        }
        try {
            List<Outcome> results;
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                key(ps, writer, clientId, txId);
                setBecome(ps, 4, writer);
                int p = 8;
                for (SqlPlan plan : plans) {
                    p = setParameters(ps, p, plan.parameters());
                }
                results = outcomes(ps);
            }
            if (commitInPipeline) {
                return committedInPipeline(c, txId, results, plans.size());
            }
            // Counted from the end: the reset's statements come first.
            int first = results.size() - plans.size();
            if (first < 2 || results.get(first - 2).count() != 1) {
                c.rollback(); // the marker row is there: applied before
                return first < 2 ? null : new Result(TransactionOutcome.duplicate(txId), false);
            }
            long xid = Long.parseLong(results.get(first - 1).value());
            for (int i = 0; i < plans.size(); i++) {
                if (plans.get(i).expectRow() && results.get(first + i).count() == 0) {
                    c.rollback(); // missing, or hidden by RLS: the step-by-step run tells which
                    return null;
                }
            }
            c.commit();
            return new Result(TransactionOutcome.applied(txId, xid), false);
        } catch (SQLException e) {
            rollbackQuietly(c);
            if (connectionLost(e)) {
                throw new TransientFailure(e); // the connection is gone: nothing to run again on
            }
            // Anything else, a timeout too, runs again step by step: only that tells which op it
            // was (the pipeline's results are lost with the error). A timed-out transaction thus
            // holds the connection for up to twice the statement_timeout in a request.
            return null;
        }
    }

    /**
     * After a pipeline that ended in {@code COMMIT} and returned no error: applied, with the
     * transaction id read in it. pgjdbc tracks the transaction state from PostgreSQL's answer; were
     * a transaction still open (the COMMIT not run), it is rolled back and run again step by step.
     */
    private static Result committedInPipeline(Connection c, long txId, List<Outcome> results, int ops)
            throws SQLException {
        // Counted from the end: the reset's statements come first, the COMMIT last.
        int first = results.size() - ops - 1;
        if (first < 2 || results.get(first - 2).count() != 1
                || c.unwrap(org.postgresql.core.BaseConnection.class).getTransactionState()
                != org.postgresql.core.TransactionState.IDLE) {
            c.rollback();
            return null;
        }
        return new Result(TransactionOutcome.applied(txId, Long.parseLong(results.get(first - 1).value())), false);
    }

    /** The connection is gone (or the server is shutting down): nothing more can run on it. */
    static boolean connectionLost(SQLException e) {
        String state = e.getSQLState();
        return state == null || state.startsWith("08") || state.startsWith("57P");
    }

    /** One statement's result: an update count, or (for a query) the last column of its first row. */
    record Outcome(int count, String value) {}

    /** Every result of a (multi-statement) prepared statement, in order. */
    static List<Outcome> outcomes(PreparedStatement ps) throws SQLException {
        List<Outcome> results = new ArrayList<>();
        boolean query = ps.execute();
        while (true) {
            if (query) {
                try (ResultSet rs = ps.getResultSet()) {
                    results.add(new Outcome(-1, rs.next() ? rs.getString(rs.getMetaData().getColumnCount()) : null));
                }
            } else {
                int count = ps.getUpdateCount();
                if (count == -1) {
                    return results;
                }
                results.add(new Outcome(count, null));
            }
            query = ps.getMoreResults();
        }
    }

    static int setParameters(PreparedStatement ps, int first, List<String> parameters) throws SQLException {
        for (int p = 0; p < parameters.size(); p++) {
            if (parameters.get(p) == null) {
                ps.setNull(first + p, Types.VARCHAR);
            } else {
                ps.setString(first + p, parameters.get(p));
            }
        }
        return first + parameters.size();
    }

    private static boolean mark(Connection c, Writer writer, String clientId, long txId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(RESET_AND_MARK)) {
            key(ps, writer, clientId, txId);
            return outcomes(ps).getLast().count() == 1;
        }
    }

    private static boolean alreadyApplied(Connection c, Writer writer, String clientId, long txId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(RESET_AND_ALREADY)) {
            key(ps, writer, clientId, txId);
            return outcomes(ps).getLast().value() != null;
        }
    }

    private static void key(PreparedStatement ps, Writer writer, String clientId, long txId) throws SQLException {
        key(ps, 1, writer, clientId, txId);
    }

    static void key(PreparedStatement ps, int first, Writer writer, String clientId, long txId) throws SQLException {
        ps.setString(first, writer.userId());
        ps.setString(first + 1, clientId);
        ps.setLong(first + 2, txId);
    }

    /** Becomes the role with the user's claims; returns the transaction's (32-bit) id. */
    private long become(Connection c, Writer writer) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(BECOME)) {
            setBecome(ps, 1, writer);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Long.parseLong(rs.getString(5));
            }
        }
    }

    /** Returns the next parameter's index. */
    int setBecome(PreparedStatement ps, int first, Writer writer) throws SQLException {
        ps.setString(first, role);
        ps.setString(first + 1, writer.claimsJson());
        ps.setString(first + 2, writer.userId());
        ps.setString(first + 3, statementTimeout);
        return first + 4;
    }

    private static int execute(Connection c, SqlPlan plan) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(plan.sql())) {
            setParameters(ps, 1, plan.parameters());
            return ps.executeUpdate();
        }
    }

    /**
     * PATCH or DELETE touched no row: either it does not exist, or RLS hides it from the role. The
     * server's own user tells them apart (without the role); a DELETE of a row that is gone is
     * done already, so it goes on (after becoming the role again) and null is returned.
     */
    private RejectedOp missingRow(Connection c, Writer writer, SqlPlan plan) throws SQLException {
        boolean exists;
        try (PreparedStatement reset = c.prepareStatement("SELECT set_config('role', 'none', true)")) {
            reset.execute();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + plan.table().qualifiedSql() + " WHERE "
                + WritableTable.quote(plan.table().idColumn()) + " = ?::" + plan.table().idType())) {
            ps.setString(1, plan.op().id());
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next();
            }
        }
        if (exists) {
            return new RejectedOp(UploadErrorCode.SYNC_U2003, "the row exists but Row-Level Security does not let user `"
                    + writer.userId() + "` change it; check the table's policies");
        }
        if (plan.op().op() == CrudOp.Kind.PATCH) {
            return new RejectedOp(UploadErrorCode.SYNC_U2004, "no row with this id in `" + plan.table().type()
                    + "` — it was deleted, or never uploaded (a PATCH cannot create a row; PUT can)");
        }
        become(c, writer);
        return null;
    }

    /**
     * PostgreSQL's primary message only (it names the table, column or constraint). Its DETAIL is
     * left out, of the response and of the log: it shows row values ("Failing row contains (…)",
     * "Key (email)=(…) already exists"), possibly of columns the user never sent. Without a server
     * message (pgjdbc's own, which may name the host), only the SQLSTATE.
     */
    static String serverMessage(SQLException e) {
        if (e instanceof org.postgresql.util.PSQLException pg && pg.getServerErrorMessage() != null
                && pg.getServerErrorMessage().getMessage() != null) {
            return pg.getServerErrorMessage().getMessage();
        }
        return "database error (SQLSTATE " + e.getSQLState() + ")";
    }

    /** SQLSTATE, message and the objects PostgreSQL names; never DETAIL (row values) or WHERE. */
    private static String operatorDetail(SQLException e) {
        if (e instanceof org.postgresql.util.PSQLException pg && pg.getServerErrorMessage() != null) {
            var m = pg.getServerErrorMessage();
            return "SQLSTATE " + e.getSQLState() + " " + m.getMessage() + (m.getTable() == null ? "" : ", table "
                    + m.getSchema() + "." + m.getTable()) + (m.getColumn() == null ? "" : ", column " + m.getColumn())
                    + (m.getConstraint() == null ? "" : ", constraint " + m.getConstraint());
        }
        return "SQLSTATE " + e.getSQLState() + " " + e.getMessage();
    }

    static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // a lost connection rolls back by itself
        }
    }

    /** A non-transient SQL failure, carried out of {@link #run}. */
    private static final class RejectedSql extends RuntimeException {
        final UploadErrorCode code;
        final boolean schemaChanged;

        RejectedSql(UploadErrorCode code, String message, boolean schemaChanged) {
            super(message, null, false, false);
            this.code = code;
            this.schemaChanged = schemaChanged;
        }
    }
}
