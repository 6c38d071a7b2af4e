package dev.syncline.server.upload;

import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.DriverManager;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The catalog read and the start-up checks of uploads against a real PostgreSQL. */
class UploadCatalogIT {
    @RegisterExtension
    static final PerClassPostgres postgres = new PerClassPostgres();

    private static PgConnectionPool pool(TestDatabase db) {
        return new PgConnectionPool(() -> DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()), 2);
    }

    @Test
    void aMissingRoleRefusesUploadsWithWhatToRunUntilItIsCreated() {
        try (TestDatabase db = postgres.createDatabase(); PgConnectionPool pool = pool(db)) {
            db.execute("CREATE TABLE t (id text PRIMARY KEY, v text)");
            java.util.concurrent.atomic.AtomicReference<java.time.Instant> now =
                    new java.util.concurrent.atomic.AtomicReference<>(java.time.Instant.parse("2026-01-01T00:00:00Z"));
            Clock clock = new Clock() {
                @Override public java.time.ZoneId getZone() { return java.time.ZoneOffset.UTC; }
                @Override public Clock withZone(java.time.ZoneId zone) { return this; }
                @Override public java.time.Instant instant() { return now.get(); }
            };
            String role = "upload_role_" + ProcessHandle.current().pid();
            UploadService service = new UploadService(pool, new UploadCatalog(List.of(new WritableTables.Allowed("public", "t").trust()),
                    role, clock), new SimpleMeterRegistry(), d -> { });
            UploadRequest request = new UploadRequest("c", List.of(new ClientTransaction(1,
                    List.of(new CrudOp(1, CrudOp.Kind.PUT, "t", "a", Map.of())))));
            assertThatThrownBy(() -> service.upload("alice", "{\"sub\":\"alice\"}", request))
                    .isInstanceOfSatisfying(UploadException.class, e -> {
                        assertThat(e.status()).isEqualTo(503);
                        assertThat(e.code()).isEqualTo(UploadErrorCode.SYNC_U1006);
                        assertThat(e.operatorDetail()).contains("CREATE ROLE " + role + " NOLOGIN; GRANT " + role + " TO");
                        assertThat(e.getMessage()).doesNotContain(role).contains("server log");
                    });

            db.execute("CREATE ROLE " + role + " NOLOGIN", "GRANT INSERT, UPDATE, SELECT ON t TO " + role);
            try {
                now.set(now.get().plus(UploadCatalog.MIN_RELOAD_INTERVAL));
                assertThat(service.upload("alice", "{\"sub\":\"alice\"}", request))
                        .as("the operator fixed the database: no restart needed")
                        .extracting(TransactionOutcome::txId, TransactionOutcome::status).containsExactly(org.assertj.core.groups.Tuple.tuple(1L, TransactionOutcome.Status.APPLIED));
            } finally {
                db.execute("REVOKE ALL ON t FROM " + role, "DROP ROLE " + role);
            }
        }
    }

    @Test
    void aServerUserThatMayNotWriteTheMarkerTableGets503NotARejectionOfTheUsersWrite() {
        try (TestDatabase db = postgres.createDatabase()) {
            String user = "uploader_" + ProcessHandle.current().pid();
            db.execute("CREATE TABLE t (id text PRIMARY KEY, v text)",
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN"
                            + " CREATE ROLE authenticated NOLOGIN; END IF; END $$",
                    "GRANT ALL ON t TO authenticated",
                    "CREATE ROLE " + user + " LOGIN PASSWORD 'pw' IN ROLE authenticated",
                    UploadCatalog.DEDUPE_DDL); // created by someone else; the server's user gets no grant on it
            try (PgConnectionPool pool = new PgConnectionPool(() -> DriverManager.getConnection(db.jdbcUrl(), user, "pw"), 1)) {
                UploadService service = new UploadService(pool, new UploadCatalog(
                        List.of(new WritableTables.Allowed("public", "t").trust()), "authenticated", Clock.systemUTC()),
                        new SimpleMeterRegistry(), d -> { });
                UploadRequest request = new UploadRequest("c", List.of(new ClientTransaction(1,
                        List.of(new CrudOp(1, CrudOp.Kind.PUT, "t", "a", Map.of())))));
                assertThatThrownBy(() -> service.upload("alice", "{\"sub\":\"alice\"}", request))
                        .isInstanceOfSatisfying(UploadException.class, e -> {
                            assertThat(e.code()).isEqualTo(UploadErrorCode.SYNC_U1006);
                            assertThat(e.operatorDetail()).contains("uploads cannot run").contains("write syncline.applied_uploads");
                            assertThat(e.getMessage()).doesNotContain(user).contains("server log");
                        });
            } finally {
                db.execute("DROP OWNED BY " + user, "DROP ROLE " + user);
            }
        }
    }

    @Test
    void readsColumnsTypesAndPrimaryKeysAndCreatesTheDedupeTable() throws Exception {
        try (TestDatabase db = postgres.createDatabase(); PgConnectionPool pool = pool(db)) {
            db.execute("CREATE SCHEMA app",
                    "CREATE TABLE app.\"Odd \"\"Name\"\"\" (id uuid PRIMARY KEY, at timestamptz, label varchar(20),"
                            + " n numeric(10,2), big bigint GENERATED ALWAYS AS (1) STORED)",
                    "ALTER TABLE app.\"Odd \"\"Name\"\"\" ENABLE ROW LEVEL SECURITY",
                    "CREATE TABLE public.no_pk (id text, v text)",
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN"
                            + " CREATE ROLE authenticated NOLOGIN; END IF; END $$");
            UploadCatalog catalog = new UploadCatalog(List.of(new WritableTables.Allowed("app", "Odd \"Name\""),
                    new WritableTables.Allowed("public", "no_pk"), new WritableTables.Allowed("public", "missing")),
                    "authenticated", Clock.systemUTC());
            var c = pool.borrow(java.time.Duration.ofSeconds(5));
            UploadCatalog.Snapshot snapshot;
            try {
                snapshot = catalog.load(c);
            } finally {
                pool.release(c, false);
            }
            assertThat(snapshot.problem()).isNull();
            WritableTable odd = snapshot.tables().find("Odd \"Name\"").orElseThrow();
            assertThat(odd.columns()).containsExactly(Map.entry("id", "uuid"), Map.entry("at", "timestamp with time zone"),
                    Map.entry("label", "character varying"), Map.entry("n", "numeric"));
            assertThat(odd.qualifiedSql()).isEqualTo("\"app\".\"Odd \"\"Name\"\"\"");
            assertThat(snapshot.tables().whyNot("no_pk").reason()).contains("primary key").contains("none");
            assertThat(snapshot.tables().whyNot("missing").reason()).contains("does not exist");
            try (var conn = db.connect(); var rs = conn.createStatement().executeQuery(
                    "SELECT count(*) FROM syncline.applied_uploads")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
        }
    }

    @Test
    void markersOlderThanTheRetentionArePrunedInBatchesAndAPrunedRetryIsAppliedAgain() throws Exception {
        try (TestDatabase db = postgres.createDatabase(); PgConnectionPool pool = pool(db)) {
            db.execute("CREATE TABLE t (id text PRIMARY KEY, v text)",
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN"
                            + " CREATE ROLE authenticated NOLOGIN; END IF; END $$",
                    "GRANT ALL ON t TO authenticated");
            UploadService service = new UploadService(pool, new UploadCatalog(List.of(new WritableTables.Allowed("public", "t").trust()),
                    "authenticated", Clock.systemUTC()), new SimpleMeterRegistry(), d -> { });
            UploadRequest request = new UploadRequest("c", List.of(new ClientTransaction(1,
                    List.of(new CrudOp(1, CrudOp.Kind.PUT, "t", "a", Map.of("v", new com.fasterxml.jackson.databind.node.TextNode("x")))))));
            assertThat(service.upload("alice", "{\"sub\":\"alice\"}", request)).extracting(TransactionOutcome::txId, TransactionOutcome::status).containsExactly(org.assertj.core.groups.Tuple.tuple(1L, TransactionOutcome.Status.APPLIED));
            // More old markers than one batch, one just inside the retention, and the real one made old.
            int old = AppliedUploadsPruner.BATCH + 5;
            db.execute("INSERT INTO syncline.applied_uploads (user_id, client_id, tx_id, applied_at)"
                            + " SELECT 'bob', 'old', g, now() - interval '31 days' FROM generate_series(1, " + old + ") g",
                    "INSERT INTO syncline.applied_uploads (user_id, client_id, tx_id, applied_at)"
                            + " VALUES ('bob', 'recent', 1, now() - interval '29 days')");
            assertThat(service.upload("alice", "{\"sub\":\"alice\"}", request)).containsExactly(TransactionOutcome.duplicate(1));

            AppliedUploadsPruner pruner = new AppliedUploadsPruner(pool, java.time.Duration.ofDays(30));
            assertThat(pruner.pruneOnce()).isEqualTo(old);
            assertThat(markers(db)).containsExactly("alice/c/1", "bob/recent/1");
            assertThat(pruner.pruneOnce()).isZero();

            db.execute("UPDATE syncline.applied_uploads SET applied_at = now() - interval '40 days' WHERE user_id = 'alice'");
            assertThat(pruner.pruneOnce()).isOne();
            assertThat(markers(db)).containsExactly("bob/recent/1");
            assertThat(service.upload("alice", "{\"sub\":\"alice\"}", request))
                    .as("without its marker, a retry is a new transaction").extracting(TransactionOutcome::txId, TransactionOutcome::status).containsExactly(org.assertj.core.groups.Tuple.tuple(1L, TransactionOutcome.Status.APPLIED));
        }
    }

    private static List<String> markers(TestDatabase db) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (var conn = db.connect(); var rs = conn.createStatement().executeQuery(
                "SELECT user_id || '/' || client_id || '/' || tx_id FROM syncline.applied_uploads ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
