package dev.syncline.server.upload;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads what uploads may write from the PostgreSQL catalog (columns, types, primary keys of the
 * allowed tables), checks that the configured role exists and can be assumed, and creates
 * {@code syncline.applied_uploads}. Loaded at start and again when a write meets a table or
 * column the snapshot does not know (at most once per {@link #MIN_RELOAD_INTERVAL}).
 */
public final class UploadCatalog {
    private static final Logger log = LoggerFactory.getLogger(UploadCatalog.class);
    static final Duration MIN_RELOAD_INTERVAL = Duration.ofSeconds(2);
    static final String DEDUPE_DDL = """
            CREATE SCHEMA IF NOT EXISTS syncline;
            CREATE TABLE IF NOT EXISTS syncline.applied_uploads (
                user_id    text        NOT NULL,
                client_id  text        NOT NULL,
                tx_id      bigint      NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (user_id, client_id, tx_id)
            )""";
    private static final String COLUMNS = """
            SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, NULL), a.attgenerated <> '',
                   coalesce(a.attnum = ANY (i.indkey), false)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
            WHERE c.relkind IN ('r', 'p')
              AND (n.nspname, c.relname) IN (SELECT * FROM unnest(?::text[], ?::text[]))
            ORDER BY n.nspname, c.relname, a.attnum""";
    // How RLS applies to the upload role on each allowed table (RowSecurity): enabled, forced, and
    // whether the role is the owner (owners bypass unforced RLS) or may bypass RLS altogether.
    private static final String ROW_SECURITY = """
            SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   coalesce(pg_has_role(r.oid, c.relowner, 'USAGE'), false),
                   coalesce(r.rolsuper OR r.rolbypassrls, false)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_roles r ON r.rolname = ?
            WHERE c.relkind IN ('r', 'p')
              AND (n.nspname, c.relname) IN (SELECT * FROM unnest(?::text[], ?::text[]))""";
    private static final String ROLE = """
            SELECT r.oid IS NOT NULL, r.oid IS NOT NULL AND pg_has_role(current_user, r.oid, 'MEMBER'), current_user,
                   me.rolsuper, me.rolinherit
            FROM (SELECT 1) one LEFT JOIN pg_roles r ON r.rolname = ?
            LEFT JOIN pg_roles me ON me.rolname = current_user""";

    /** What uploads can write now; {@code problem} non-null means uploads are refused with it (503). */
    public record Snapshot(WritableTables tables, String problem, Instant loadedAt) {}

    private final List<WritableTables.Allowed> allowed;
    private final String role;
    private final Clock clock;
    private volatile Snapshot snapshot;
    // Reloads happen every few seconds while a client writes an unknown table: log a refusal once, not each time.
    private String lastRowSecurityLog;
    private boolean trustedLogged;
    private volatile boolean loginWarned;

    public UploadCatalog(List<WritableTables.Allowed> allowed, String role, Clock clock) {
        this.allowed = List.copyOf(allowed);
        this.role = role;
        this.clock = clock;
    }

    public String role() {
        return role;
    }

    /** The last loaded snapshot, or null before the first successful load. */
    public Snapshot current() {
        return snapshot;
    }

    /** Reloads when the snapshot is older than {@link #MIN_RELOAD_INTERVAL}; true if it did. */
    public boolean reloadIfStale(Connection c) throws SQLException {
        Snapshot s = snapshot;
        if (s != null && Duration.between(s.loadedAt(), clock.instant()).compareTo(MIN_RELOAD_INTERVAL) < 0) {
            return false;
        }
        load(c);
        return true;
    }

    /** Reads the catalog on {@code c} (committing its own work) and replaces the snapshot. */
    public Snapshot load(Connection c) throws SQLException {
        try {
            // Only when missing: CREATE SCHEMA checks the CREATE privilege even when the schema exists,
            // and an operator may have created the table for a user without that privilege.
            boolean missing;
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT to_regclass('syncline.applied_uploads') IS NULL")) {
                rs.next();
                missing = rs.getBoolean(1);
            }
            if (missing) {
                try (Statement s = c.createStatement()) {
                    s.execute(DEDUPE_DDL);
                }
            }
            RoleCheck roleCheck = roleCheck(c);
            String problem = roleCheck.problem();
            if (problem == null && (roleCheck.loginSuperuser() || roleCheck.loginInherits()) && !loginWarned) {
                loginWarned = true;
                // Not refused (the replication login is the documented default), but said: from a
                // superuser or an inheriting login, RESET ROLE in a trigger or function gets it all.
                log.warn("uploads connect as {}, which {} — set upload.connection to a NOINHERIT login that"
                        + " can only become role {} (docs/upload.md)", roleCheck.login(),
                        roleCheck.loginSuperuser() ? "is a superuser" : "inherits the privileges of its roles", role);
            }
            Array schemas = c.createArrayOf("text", allowed.stream().map(WritableTables.Allowed::schema).toArray());
            Array names = c.createArrayOf("text", allowed.stream().map(WritableTables.Allowed::table).toArray());
            List<RowSecurity> security = rowSecurity(c, schemas, names);
            List<WritableTables.CatalogColumn> columns = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(COLUMNS)) {
                ps.setArray(1, schemas);
                ps.setArray(2, names);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        columns.add(new WritableTables.CatalogColumn(rs.getString(1), rs.getString(2), rs.getString(3),
                                rs.getString(4), rs.getBoolean(5), rs.getBoolean(6)));
                    }
                }
            }
            c.commit();
            Snapshot loaded = new Snapshot(WritableTables.from(allowed, columns, security, role), problem, clock.instant());
            logRowSecurity(loaded.tables(), security);
            if (problem != null) {
                log.warn("uploads unavailable: {}", problem);
            } else {
                log.info("uploads may write {} of {} allowed tables as role {}: {}", loaded.tables().size(), allowed.size(),
                        role, loaded.tables().names());
            }
            snapshot = loaded;
            return loaded;
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the caller discards the connection on a connection error
            }
            throw e;
        }
    }

    /**
     * Whether the upload role exists and the login may become it, and what the login is.
     *
     * @param problem null when uploads can run as the role; otherwise why not and the statement that fixes it
     */
    public record RoleCheck(String login, String problem, boolean loginSuperuser, boolean loginInherits) {}

    /** What {@code syncline doctor} reports, read without creating or changing anything. */
    public record Inspection(RoleCheck role, List<RowSecurity> rowSecurity) {}

    /** Reads the role and Row-Level Security facts only (no DDL, no commit): for {@code doctor}. */
    public Inspection inspect(Connection c) throws SQLException {
        RoleCheck roleCheck = roleCheck(c);
        Array schemas = c.createArrayOf("text", allowed.stream().map(WritableTables.Allowed::schema).toArray());
        Array names = c.createArrayOf("text", allowed.stream().map(WritableTables.Allowed::table).toArray());
        return new Inspection(roleCheck, rowSecurity(c, schemas, names));
    }

    public List<WritableTables.Allowed> allowed() {
        return allowed;
    }

    private RoleCheck roleCheck(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(ROLE)) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String login = rs.getString(3);
                String problem = null;
                if (!rs.getBoolean(1)) {
                    problem = "uploads run as the database role `" + role + "`, which does not exist — run"
                            + " CREATE ROLE " + role + " NOLOGIN; GRANT " + role + " TO " + login
                            + "; (and grant it the tables), or set upload.role";
                } else if (!rs.getBoolean(2)) {
                    problem = "the server's database user " + login + " may not assume the role `" + role
                            + "` — run GRANT " + role + " TO " + login + ";";
                }
                return new RoleCheck(login, problem, rs.getBoolean(4), rs.getBoolean(5));
            }
        }
    }

    private List<RowSecurity> rowSecurity(Connection c, Array schemas, Array names) throws SQLException {
        List<RowSecurity> security = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(ROW_SECURITY)) {
            ps.setString(1, role);
            ps.setArray(2, schemas);
            ps.setArray(3, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    security.add(new RowSecurity(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getBoolean(4),
                            rs.getBoolean(5), rs.getBoolean(6)));
                }
            }
        }
        return security;
    }

    /**
     * Says at every load which tables uploads refuse for want of Row-Level Security, and which are
     * written without it because the operator trusts them, so the choice is visible in the log.
     */
    private synchronized void logRowSecurity(WritableTables tables, List<RowSecurity> security) {
        Map<String, WritableTables.Refusal> refusals = tables.refusals();
        String changed = refusals.entrySet().stream().filter(e -> e.getValue().code() == UploadErrorCode.SYNC_U2009)
                .map(e -> e.getValue().reason()).sorted().collect(Collectors.joining("; "));
        if (!changed.equals(lastRowSecurityLog)) {
            lastRowSecurityLog = changed;
            refusals.values().stream().filter(r -> r.code() == UploadErrorCode.SYNC_U2009)
                    .forEach(r -> log.warn("{} ({})", r.reason(), UploadErrorCode.SYNC_U2009));
        }
        for (WritableTables.Allowed a : allowed) {
            if (a.trusted() && tables.find(a.type()).isPresent() && !trustedLogged) {
                security.stream().filter(r -> r.schema().equals(a.schema()) && r.table().equals(a.table()))
                        .map(r -> r.gap(role)).filter(java.util.Objects::nonNull).findFirst()
                        .ifPresent(gap -> log.info("uploads write {}.{} without Row-Level Security: it is listed in"
                                + " upload.trusted_tables", a.schema(), a.table()));
            }
        }
        trustedLogged = true;
    }
}
