package dev.syncline.server.upload;

import dev.syncline.server.config.UploadConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Applies the transactions of one upload request in order on one pooled connection. A rejected
 * transaction is reported and the next one runs; a transient failure is retried with backoff, and
 * if it persists that transaction and every later one are answered {@code retryable} without
 * being tried, so the client's order is kept.
 */
public final class UploadService {
    private static final Logger log = LoggerFactory.getLogger(UploadService.class);
    static final Duration CONNECTION_WAIT = Duration.ofSeconds(10);
    static final int MAX_ATTEMPTS = 4;
    static final Duration FIRST_BACKOFF = Duration.ofMillis(20);
    /** What clients hear of a setup problem; the server log has the SQL that fixes it. */
    static final String SETUP_PROBLEM = "uploads are unavailable because of a problem in the server's database setup"
            + " — retry later; the server log says what an operator must fix";

    /** Waits between attempts; tests pass one that does not sleep. */
    @FunctionalInterface
    public interface Backoff {
        void pause(Duration duration) throws InterruptedException;
    }

    /**
     * @param statementTimeout PostgreSQL {@code statement_timeout} of each upload statement
     * @param timeoutAttempts  requests a transaction may time out in before it is rejected
     */
    public record Settings(Duration statementTimeout, int timeoutAttempts) {
        public static Settings of(UploadConfig config) {
            return new Settings(config.statementTimeout(), config.timeoutAttempts());
        }

        public static Settings defaults() {
            return of(UploadConfig.defaults());
        }
    }

    private final PgConnectionPool pool;
    private final UploadCatalog catalog;
    private final TransactionApplier applier;
    private final PipelinedTransactions pipeline;
    private final Backoff backoff;
    private final Settings settings;
    private final TimeoutAttempts timeouts;
    private final Map<TransactionOutcome.Status, Counter> counters = new EnumMap<>(TransactionOutcome.Status.class);

    public UploadService(PgConnectionPool pool, UploadCatalog catalog, MeterRegistry metrics, Backoff backoff) {
        this(pool, catalog, metrics, backoff, Settings.defaults());
    }

    public UploadService(PgConnectionPool pool, UploadCatalog catalog, MeterRegistry metrics, Backoff backoff,
                         Settings settings) {
        this.pool = pool;
        this.catalog = catalog;
        this.applier = new TransactionApplier(catalog.role(), settings.statementTimeout());
        this.pipeline = new PipelinedTransactions(applier);
        this.backoff = backoff;
        this.settings = settings;
        this.timeouts = new TimeoutAttempts(settings.timeoutAttempts());
        for (TransactionOutcome.Status status : TransactionOutcome.Status.values()) {
            counters.put(status, Counter.builder("syncline.upload.transactions")
                    .description("client transactions received through POST /api/upload, by outcome")
                    .tag("status", status.wireName()).register(metrics));
        }
    }

    /** Loads the catalog now, so a configuration problem shows in the log at start; failures are logged only. */
    public void warmUp() {
        try {
            Connection c = pool.borrow(CONNECTION_WAIT);
            boolean broken = true;
            try {
                catalog.load(c);
                broken = false;
            } finally {
                pool.release(c, broken);
            }
        } catch (SQLException e) {
            log.warn("uploads: could not read the catalog at start ({}); trying again with the first upload", e.getMessage());
        }
    }

    /**
     * @throws UploadException {@code SYNC_U1006} when uploads cannot be served at all (catalog
     *                         unreadable, role missing); the client should retry the request later
     */
    public List<TransactionOutcome> upload(String userId, String claimsJson, UploadRequest request) {
        TransactionApplier.Writer writer = new TransactionApplier.Writer(userId, claimsJson);
        List<TransactionOutcome> outcomes = new ArrayList<>(request.transactions().size());
        Connection c = null;
        boolean broken = false;
        try {
            // Not reset by the pool: each transaction resets it in its first round trip.
            c = pool.borrowUnreset(CONNECTION_WAIT);
            UploadCatalog.Snapshot snapshot = catalog.current();
            if (snapshot == null) {
                PgConnectionPool.reset(c);
                snapshot = catalog.load(c);
            } else if (snapshot.problem() != null && reloadIfStale(c)) {
                snapshot = catalog.current(); // the operator may have created or granted the role since
            }
            if (snapshot.problem() != null) {
                throw new UploadException(UploadErrorCode.SYNC_U1006, SETUP_PROBLEM, snapshot.problem());
            }
            String stopped = null;
            List<ClientTransaction> txs = request.transactions();
            boolean pipelining = true;
            for (int i = 0; i < txs.size(); i++) {
                ClientTransaction tx = txs.get(i);
                if (pipelining && stopped == null && c != null && i + 1 < txs.size()) {
                    List<ClientTransaction> rest = txs.subList(i, txs.size());
                    List<List<SqlPlan>> plans = PipelinedTransactions.eligible(rest, snapshot.tables());
                    if (!plans.isEmpty()) {
                        PipelinedTransactions.Settled settled = pipelined(c, writer, request.clientId(), rest, plans);
                        for (TransactionOutcome outcome : settled.outcomes()) {
                            timeouts.settled(new TimeoutAttempts.Key(writer.userId(), request.clientId(), outcome.txId()));
                            outcomes.add(count(outcome));
                        }
                        // After a failure, one at a time: that tells exactly why the next one failed.
                        pipelining = !settled.failed();
                        i += settled.outcomes().size() - 1;
                        continue;
                    }
                }
                if (stopped != null) {
                    outcomes.add(count(TransactionOutcome.retryable(tx.txId(),
                            "not tried: transaction " + stopped + " before it must be retried first")));
                    continue;
                }
                Attempt attempt = applyWithRetries(c, writer, request.clientId(), tx);
                c = attempt.connection();
                outcomes.add(count(attempt.outcome));
                if (attempt.outcome.status() == TransactionOutcome.Status.RETRYABLE) {
                    stopped = Long.toString(tx.txId());
                }
            }
            return outcomes;
        } catch (SQLException e) {
            // No connection, or the catalog could not be read: nothing of this request ran.
            broken = true;
            // pgjdbc's messages name the host, port and database user: for the log only.
            if (SqlStateOutcomes.classify(e.getSQLState()).kind() != SqlStateOutcomes.Kind.REJECTED) {
                throw new UploadException(UploadErrorCode.SYNC_U1006, "the database cannot be reached for uploads"
                        + " right now — retry later", "database unreachable for uploads: " + e.getMessage());
            }
            throw new UploadException(UploadErrorCode.SYNC_U1006, SETUP_PROBLEM, "uploads cannot run: " + e.getMessage()
                    + " — " + TransactionApplier.setupHint(catalog.role()));
        } finally {
            if (c != null) {
                pool.release(c, broken);
            }
        }
    }

    /**
     * Several PUT-only transactions in one round trip ({@link PipelinedTransactions}). A lost
     * connection settles none of them here: the one-at-a-time path runs them again, and their
     * marker rows tell which committed (reported {@code duplicate}).
     */
    private PipelinedTransactions.Settled pipelined(Connection c, TransactionApplier.Writer writer, String clientId,
                                                    List<ClientTransaction> txs, List<List<SqlPlan>> plans) {
        try {
            return pipeline.apply(c, writer, clientId, txs, plans);
        } catch (TransientFailure e) {
            log.info("upload pipeline of {} transactions for user {} lost its connection ({}); one at a time now",
                    plans.size(), writer.userId(), e.getMessage());
            return new PipelinedTransactions.Settled(List.of(), true);
        }
    }

    private record Attempt(TransactionOutcome outcome, Connection connection) {}

    /** The connection in the result is the one to go on with; null when none could be had (the outcome is then retryable). */
    private Attempt applyWithRetries(Connection c, TransactionApplier.Writer writer, String clientId, ClientTransaction tx) {
        Duration pause = FIRST_BACKOFF;
        boolean reloaded = false;
        TimeoutAttempts.Key key = new TimeoutAttempts.Key(writer.userId(), clientId, tx.txId());
        for (int attempt = 1; ; attempt++) {
            try {
                TransactionApplier.Result result = applier.apply(c, writer, clientId, tx, catalog.current().tables());
                if (result.schemaChanged() && !reloaded && reload(c)) {
                    reloaded = true; // the table or column may have been added since: try once more
                    continue;
                }
                timeouts.settled(key);
                return new Attempt(result.outcome(), c);
            } catch (TransientFailure e) {
                if (e.timedOut()) {
                    // Not retried here: each try holds a connection for the whole statement_timeout.
                    return new Attempt(timedOut(tx, writer, clientId, key, e), c);
                }
                if (e.connectionLost()) {
                    pool.release(c, true);
                    c = null;
                }
                if (attempt >= MAX_ATTEMPTS) {
                    log.warn("upload of tx {} for user {} still failing after {} attempts: {}", tx.txId(),
                            writer.userId(), attempt, e.getMessage());
                    return new Attempt(TransactionOutcome.retryable(tx.txId(), "a transient database failure"
                            + sqlState(e) + " outlasted " + attempt + " attempts — send it again later"), c);
                }
                try {
                    backoff.pause(pause.plusMillis(ThreadLocalRandom.current().nextLong(pause.toMillis() + 1)));
                    pause = pause.multipliedBy(2);
                    if (c == null) {
                        c = pool.borrowUnreset(CONNECTION_WAIT);
                    }
                } catch (InterruptedException | SQLException stop) {
                    if (stop instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    log.warn("upload of tx {} for user {}: no connection to retry on: {}", tx.txId(), writer.userId(),
                            stop.getMessage());
                    return new Attempt(TransactionOutcome.retryable(tx.txId(), "the database cannot be reached right now"
                            + " — send it again later"), c);
                }
            }
        }
    }

    /**
     * One more request in which {@code tx} ran past the statement timeout: retryable until it has
     * done so {@code timeoutAttempts} times, then rejected so the client's later transactions run.
     */
    private TransactionOutcome timedOut(ClientTransaction tx, TransactionApplier.Writer writer, String clientId,
                                        TimeoutAttempts.Key key, TransientFailure e) {
        int n = timeouts.timedOut(key);
        String where = e.op() == null ? "the transaction" : e.op();
        String limit = "statement_timeout " + settings.statementTimeout().toMillis() + " ms";
        if (n >= timeouts.limit()) {
            log.warn("upload of tx {} from client {} of user {} rejected: {} ran past the {} in {} requests ({})",
                    tx.txId(), clientId, writer.userId(), where, limit, n, e.getMessage());
            return TransactionOutcome.rejected(tx.txId(), UploadErrorCode.SYNC_U2010, where + " ran past the server's "
                    + limit + " in " + n + " requests; rejected so the transactions after it can run — make the"
                    + " write smaller, or ask an operator about slow triggers, locks or upload.statement_timeout");
        }
        log.info("upload of tx {} from client {} of user {}: {} ran past the {} ({} of {} attempts)", tx.txId(), clientId,
                writer.userId(), where, limit, n, timeouts.limit());
        return TransactionOutcome.retryable(tx.txId(), where + " ran past the server's " + limit + " (attempt " + n
                + " of " + timeouts.limit() + ") — send it again later");
    }

    private static String sqlState(TransientFailure e) {
        String state = ((SQLException) e.getCause()).getSQLState();
        return state == null ? "" : " (SQLSTATE " + state + ")";
    }

    /** Reads the catalog again if it is old enough, on {@code c} reset first (it may be an upload's). */
    private boolean reloadIfStale(Connection c) throws SQLException {
        PgConnectionPool.reset(c);
        return catalog.reloadIfStale(c);
    }

    private boolean reload(Connection c) {
        try {
            return reloadIfStale(c);
        } catch (SQLException e) {
            log.warn("uploads: could not reload the catalog: {}", e.getMessage());
            return false;
        }
    }

    private TransactionOutcome count(TransactionOutcome outcome) {
        counters.get(outcome.status()).increment();
        return outcome;
    }
}
