package dev.syncline.server.upload;

import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A connection given back to the upload pool in any state reaches the next upload clean.
 * Regression: a connection returned mid-transaction, or after a session-level SET ROLE or GUC,
 * was handed out as it was, so one user's role, claims or uncommitted writes leaked into the next.
 */
class PgConnectionPoolIT {
    private static final Duration WAIT = Duration.ofSeconds(5);
    @RegisterExtension
    static final PerClassPostgres postgres = new PerClassPostgres();

    @Test
    void aConnectionReturnedMidTransactionWithAnotherRoleAndSettingsIsResetForTheNextBorrower() throws Exception {
        try (TestDatabase db = postgres.createDatabase();
             PgConnectionPool pool = new PgConnectionPool(() -> DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()), 1)) {
            String role = "pool_probe_" + ProcessHandle.current().pid();
            db.execute("CREATE TABLE t (id text PRIMARY KEY)", "CREATE ROLE " + role + " NOLOGIN",
                    "GRANT ALL ON t TO " + role);
            Connection first = pool.borrow(WAIT);
            List<String> clean = state(first);
            try (Statement s = first.createStatement()) {
                s.execute("SET ROLE " + role);
                s.execute("SET statement_timeout = '1234s'");
                s.execute("SELECT set_config('request.jwt.claims', '{\"sub\":\"mallory\"}', false)");
                s.execute("INSERT INTO t VALUES ('uncommitted')");
                s.execute("DECLARE leftover CURSOR WITH HOLD FOR SELECT 1");
            }
            assertThat(state(first)).isNotEqualTo(clean);
            pool.release(first, false);

            Connection second = pool.borrow(WAIT);
            assertThat(second).as("the same pooled connection").isSameAs(first);
            assertThat(state(second)).isEqualTo(clean);
            try (Statement s = second.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM t")) {
                rs.next();
                assertThat(rs.getLong(1)).as("the open transaction was rolled back").isZero();
            }
            pool.release(second, false);
            db.execute("DROP OWNED BY " + role, "DROP ROLE " + role);
        }
    }

    @Test
    void aConnectionReturnedInAFailedTransactionServesTheNextBorrower() throws Exception {
        try (TestDatabase db = postgres.createDatabase();
             PgConnectionPool pool = new PgConnectionPool(() -> DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()), 1)) {
            Connection first = pool.borrow(WAIT);
            try (Statement s = first.createStatement()) {
                assertThatThrownBy(() -> s.execute("SELECT 1/0")).isInstanceOf(SQLException.class);
            }
            pool.release(first, false);
            Connection second = pool.borrow(WAIT);
            try (Statement s = second.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
            }
            pool.release(second, false);
        }
    }

    /** Who the connection acts as and the settings an upload could change. */
    private static List<String> state(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_user, session_user,"
                + " current_setting('statement_timeout'), coalesce(current_setting('request.jwt.claims', true), ''),"
                + " (SELECT count(*) FROM pg_cursors)::text")) {
            rs.next();
            for (int i = 1; i <= 5; i++) {
                out.add(rs.getString(i));
            }
        }
        return out;
    }
}
