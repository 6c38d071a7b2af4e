package dev.syncline.server.upload;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Several consecutive client transactions of one request in one round trip, when none of them
 * needs a row count checked (PUTs only, so no PATCH or DELETE). Each is still its own PostgreSQL
 * transaction, sent exactly as {@link TransactionApplier} sends a single one (session reset,
 * strict marker row, role and claims, ops, {@code COMMIT}), the second and later ones opened by an
 * explicit {@code BEGIN}. PostgreSQL runs them in order and, at the first error, skips everything
 * after it up to the pipeline's end: the transactions before the failed one are committed, the
 * failed one and those after it are not.
 *
 * <p>pgjdbc drops the results of a pipeline that failed, so how far it got is read back from the
 * session: each transaction sets {@code syncline.upload_pipeline} to a value naming this pipeline
 * and its own index, at session level, which PostgreSQL keeps when that transaction commits and
 * reverts when it aborts. After a failure the setting names the last transaction that committed
 * (or another pipeline, when none did), and each committed one's id is its marker row's
 * {@code xmin}. The caller then runs the failed transaction and those after it one at a time, which
 * tells exactly why it failed (a duplicate, a refused op, a failed commit).
 */
final class PipelinedTransactions {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PipelinedTransactions.class);
    /** At most this many transactions per pipeline; the rest of a request goes in the next one. */
    static final int MAX_TRANSACTIONS = 64;
    /** At most this many statements per pipeline, so the answers (tens of bytes each) never fill a socket buffer. */
    static final int MAX_STATEMENTS = 1000;
    private static final int RESET_STATEMENTS = PgConnectionPool.RESET.split(";").length;
    private static final String PROGRESS = "SELECT set_config('syncline.upload_pipeline', ?, false)";
    private static final String READ_BACK = "SELECT current_setting('syncline.upload_pipeline', true),"
            + " (SELECT string_agg(tx_id || ':' || xmin::text, ',') FROM syncline.applied_uploads"
            + " WHERE user_id = ? AND client_id = ? AND tx_id = ANY (?::bigint[]))";

    /**
     * What a pipeline settled: outcomes for the first {@code outcomes.size()} transactions given,
     * in order. {@code failed}: it stopped at the next one, which must now run on its own.
     */
    record Settled(List<TransactionOutcome> outcomes, boolean failed) {
        static final Settled NOTHING = new Settled(List.of(), false);
    }

    private final TransactionApplier applier;

    PipelinedTransactions(TransactionApplier applier) {
        this.applier = applier;
    }

    /**
     * The leading transactions of {@code txs} that can share a pipeline: each of PUTs only and
     * planned without a refusal. Fewer than two is not worth a pipeline of its own: none.
     */
    static List<List<SqlPlan>> eligible(List<ClientTransaction> txs, WritableTables tables) {
        List<List<SqlPlan>> out = new ArrayList<>();
        int statements = 0;
        for (ClientTransaction tx : txs) {
            if (out.size() == MAX_TRANSACTIONS) {
                break;
            }
            List<SqlPlan> plans = new ArrayList<>(tx.ops().size());
            try {
                for (CrudOp op : tx.ops()) {
                    SqlPlan plan = OpPlanner.plan(op, tables);
                    if (plan.expectRow()) {
                        return out.size() < 2 ? List.of() : out;
                    }
                    plans.add(plan);
                }
            } catch (RejectedOp e) {
                break; // the single-transaction path reports it
            }
            statements += RESET_STATEMENTS + 5 + plans.size();
            if (plans.isEmpty() || (statements > MAX_STATEMENTS && !out.isEmpty())) {
                break;
            }
            out.add(plans);
        }
        return out.size() < 2 ? List.of() : out;
    }

    /**
     * Sends {@code plans.size()} transactions of {@code txs} (their plans from {@link #eligible})
     * in one pipeline.
     *
     * @throws TransientFailure when the connection was lost: which of them committed is unknown,
     *                          and the caller's one-at-a-time path (its marker rows) finds out
     */
    Settled apply(Connection c, TransactionApplier.Writer writer, String clientId, List<ClientTransaction> txs,
                  List<List<SqlPlan>> plans) throws TransientFailure {
        String pipeline = UUID.randomUUID().toString();
        StringBuilder sql = new StringBuilder();
        for (int i = 0; i < plans.size(); i++) {
            sql.append(i == 0 ? "" : "; BEGIN; ").append(PgConnectionPool.RESET).append("; ").append(PROGRESS)
                    .append("; ").append(TransactionApplier.START_STRICT_NO_RESET);
            for (SqlPlan plan : plans.get(i)) {
                sql.append("; ").append(plan.sql());
            }
            sql.append("; COMMIT");
        }
        List<TransactionApplier.Outcome> results;
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int p = 1;
            for (int i = 0; i < plans.size(); i++) {
                ps.setString(p++, pipeline + ":" + i);
                TransactionApplier.key(ps, p, writer, clientId, txs.get(i).txId());
                p = applier.setBecome(ps, p + 3, writer);
                for (SqlPlan plan : plans.get(i)) {
                    p = TransactionApplier.setParameters(ps, p, plan.parameters());
                }
            }
            results = TransactionApplier.outcomes(ps);
        } catch (SQLException e) {
            TransactionApplier.rollbackQuietly(c);
            if (TransactionApplier.connectionLost(e)) {
                throw new TransientFailure(e);
            }
            return readBack(c, writer, clientId, txs, plans.size(), pipeline);
        }
        try {
            List<TransactionOutcome> applied = committed(c, txs, plans, results);
            if (applied != null) {
                return new Settled(applied, false);
            }
            c.rollback(); // not what a pipeline that ran to its end answers: ask the session
        } catch (SQLException e) {
            TransactionApplier.rollbackQuietly(c);
            if (TransactionApplier.connectionLost(e)) {
                throw new TransientFailure(e);
            }
        }
        return readBack(c, writer, clientId, txs, plans.size(), pipeline);
    }

    /** The outcomes of a pipeline that returned no error, or null if its answers are not the expected ones. */
    private static List<TransactionOutcome> committed(Connection c, List<ClientTransaction> txs,
                                                      List<List<SqlPlan>> plans, List<TransactionApplier.Outcome> results)
            throws SQLException {
        if (c.unwrap(org.postgresql.core.BaseConnection.class).getTransactionState()
                != org.postgresql.core.TransactionState.IDLE) {
            return null;
        }
        List<TransactionOutcome> out = new ArrayList<>(plans.size());
        int at = 0;
        for (int i = 0; i < plans.size(); i++) {
            at += (i == 0 ? 0 : 1) + RESET_STATEMENTS + 1; // BEGIN, the reset, the progress setting
            int end = at + 2 + plans.get(i).size() + 1;
            if (end > results.size() || results.get(at).count() != 1) {
                return null;
            }
            out.add(TransactionOutcome.applied(txs.get(i).txId(), Long.parseLong(results.get(at + 1).value())));
            at = end;
        }
        return at == results.size() ? out : null;
    }

    /** After a failed pipeline (rolled back): the transactions it committed, read from the session and the marker rows. */
    private static Settled readBack(Connection c, TransactionApplier.Writer writer, String clientId,
                                    List<ClientTransaction> txs, int sent, String pipeline) throws TransientFailure {
        StringBuilder ids = new StringBuilder("{");
        for (int i = 0; i < sent; i++) {
            ids.append(i == 0 ? "" : ",").append(txs.get(i).txId());
        }
        String progress;
        String markers;
        try (PreparedStatement ps = c.prepareStatement(READ_BACK)) {
            ps.setString(1, writer.userId());
            ps.setString(2, clientId);
            ps.setString(3, ids.append('}').toString());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                progress = rs.getString(1);
                markers = rs.getString(2);
            }
            c.rollback();
        } catch (SQLException e) {
            TransactionApplier.rollbackQuietly(c);
            // Which committed is unknown: the one-at-a-time path finds their marker rows (duplicate).
            throw new TransientFailure(e);
        }
        int committed = 0;
        if (progress != null && progress.startsWith(pipeline + ":")) {
            committed = Integer.parseInt(progress.substring(pipeline.length() + 1)) + 1;
        }
        Map<Long, Long> xmin = new HashMap<>();
        if (markers != null) {
            for (String pair : markers.split(",")) {
                int colon = pair.indexOf(':');
                xmin.put(Long.parseLong(pair.substring(0, colon)), Long.parseLong(pair.substring(colon + 1)));
            }
        }
        List<TransactionOutcome> out = new ArrayList<>(committed);
        for (int i = 0; i < committed; i++) {
            long txId = txs.get(i).txId();
            Long xid = xmin.get(txId);
            if (xid == null) {
                // Cannot be: the marker row commits with its transaction. Committed all the same.
                log.error("upload pipeline: tx {} of client {} committed but its marker row is missing", txId, clientId);
                out.add(TransactionOutcome.duplicate(txId));
            } else {
                out.add(TransactionOutcome.applied(txId, xid));
            }
        }
        return new Settled(out, true);
    }
}
