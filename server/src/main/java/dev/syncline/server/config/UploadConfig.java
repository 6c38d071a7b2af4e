package dev.syncline.server.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Settings of {@code POST /api/upload} (docs/upload.md). Client writes run as {@code role} with the
 * user's claims, so Row-Level Security decides what each user may change; {@code tables} is the
 * allow-list of what the endpoint will touch at all (empty: the tables the sync rules read).
 *
 * @param enabled                false leaves the endpoint out (404)
 * @param role                   database role the writes run as ({@code SET LOCAL ROLE})
 * @param tables                 writable tables; empty means the sync rules' source tables
 * @param trustedTables          tables uploads may write although Row-Level Security does not guard them
 * @param connection             the login uploads connect as; empty: the replication connection's
 * @param maxBodyBytes           larger bodies get 413
 * @param maxTransactions        client transactions per request; more get 400
 * @param maxOpsPerTransaction   operations per client transaction; more get 400
 * @param maxJsonDepth           deepest JSON nesting accepted in a body; deeper gets 400
 * @param maxConnections         PostgreSQL connections the endpoint may hold at once
 * @param appliedRetention       how long exactly-once markers are kept; zero keeps them forever
 * @param statementTimeout       PostgreSQL {@code statement_timeout} of each upload statement
 * @param timeoutAttempts        requests in which a client transaction may time out before it is rejected
 * @param maxConcurrentPerUser   uploads one user may have in flight; more get 429
 */
public record UploadConfig(boolean enabled, String role, List<TableRef> tables, List<TableRef> trustedTables,
                           Optional<PostgresConnectionConfig> connection, long maxBodyBytes, int maxTransactions, int maxOpsPerTransaction, int maxJsonDepth,
                           int maxConnections, Duration appliedRetention, Duration statementTimeout,
                           int timeoutAttempts, int maxConcurrentPerUser) {
    public static final String DEFAULT_ROLE = "authenticated";
    public static final long DEFAULT_MAX_BODY_BYTES = 1L << 20;
    public static final int DEFAULT_MAX_TRANSACTIONS = 100;
    public static final int DEFAULT_MAX_OPS_PER_TRANSACTION = 1000;
    public static final int DEFAULT_MAX_JSON_DEPTH = 32;
    public static final int DEFAULT_MAX_CONNECTIONS = 8;
    /** Far longer than a client waits to retry a transaction whose response it lost (it retries once online). */
    public static final Duration DEFAULT_APPLIED_RETENTION = Duration.ofDays(30);
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);
    /** A transaction that times out in this many requests will time out again: reject it so the queue moves. */
    public static final int DEFAULT_TIMEOUT_ATTEMPTS = 3;
    /** A client uploads one request at a time; two leaves room for a second tab or device of the same user. */
    public static final int DEFAULT_MAX_CONCURRENT_PER_USER = 2;
    // A role name is used as a value of set_config('role', …), never spliced into SQL; the pattern
    // only keeps typos such as a trailing comment or spaces out of the configuration.
    private static final Pattern ROLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$-]{0,62}");

    public UploadConfig {
        tables = List.copyOf(tables);
        trustedTables = List.copyOf(trustedTables);
    }

    public static UploadConfig defaults() {
        return new UploadConfig(true, DEFAULT_ROLE, List.of(), List.of(), Optional.empty(), DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_TRANSACTIONS,
                DEFAULT_MAX_OPS_PER_TRANSACTION, DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_CONNECTIONS, DEFAULT_APPLIED_RETENTION,
                DEFAULT_STATEMENT_TIMEOUT, DEFAULT_TIMEOUT_ATTEMPTS, DEFAULT_MAX_CONCURRENT_PER_USER);
    }

    static UploadConfig read(Section s) {
        boolean enabled = s.bool("enabled", true);
        String role = s.string("role", DEFAULT_ROLE).strip();
        if (!ROLE.matcher(role).matches()) {
            s.problem("role", "`" + role + "` is not a role name — e.g. `role: authenticated`");
            role = DEFAULT_ROLE;
        }
        List<TableRef> tables = TableRef.readList(s, "tables");
        List<TableRef> trusted = TableRef.readList(s, "trusted_tables");
        Optional<PostgresConnectionConfig> connection = Optional.empty();
        if (s.has("connection")) {
            // The same keys as an entry of replication.connections (uri or fields, type: postgresql).
            Section c = s.section("connection");
            connection = PostgresConnectionConfig.read(c);
            c.finish();
        }
        long body = Units.bytes(s, "max_body_bytes", 1L << 10, 64L << 20).orElse(DEFAULT_MAX_BODY_BYTES);
        int transactions = s.integer("max_transactions", DEFAULT_MAX_TRANSACTIONS, 1, 10_000);
        int ops = s.integer("max_ops_per_transaction", DEFAULT_MAX_OPS_PER_TRANSACTION, 1, 100_000);
        int depth = s.integer("max_json_depth", DEFAULT_MAX_JSON_DEPTH, 4, 1000);
        int connections = s.integer("max_connections", DEFAULT_MAX_CONNECTIONS, 1, 256);
        Duration retention = s.string("applied_retention").map(String::strip).filter("forever"::equalsIgnoreCase).isPresent()
                ? Duration.ZERO
                : Units.duration(s, "applied_retention", Duration.ofHours(1), Duration.ofDays(3650)).orElse(DEFAULT_APPLIED_RETENTION);
        Duration statementTimeout = Units.duration(s, "statement_timeout", Duration.ofMillis(100), Duration.ofHours(1))
                .orElse(DEFAULT_STATEMENT_TIMEOUT);
        int timeoutAttempts = s.integer("timeout_attempts", DEFAULT_TIMEOUT_ATTEMPTS, 1, 100);
        int perUser = s.integer("max_concurrent_per_user", DEFAULT_MAX_CONCURRENT_PER_USER, 1, 256);
        return new UploadConfig(enabled, role, tables, trusted, connection, body, transactions, ops, depth, connections,
                retention, statementTimeout, timeoutAttempts, perUser);
    }
}
