package dev.syncline.server.app;

import dev.syncline.server.cli.SynclineCli;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The set-ups users get wrong, on a real PostgreSQL: {@code syncline doctor} names the problem and
 * its fix and exits non-zero, and a running server keeps its API up with readiness false and the
 * error code in the probe and the metrics, instead of retrying forever.
 */
class SetupProblemsIT {
    private static final AtomicInteger ROLES = new AtomicInteger();
    static PostgresTestServer server;
    static PostgresTestServer replicaWal;
    static PostgresTestServer oneSlotOneSender;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        server = PostgresTestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
        if (replicaWal != null) {
            replicaWal.close();
        }
        if (oneSlotOneSender != null) {
            oneSlotOneSender.close();
        }
    }

    private static TestDatabase database(PostgresTestServer on) {
        TestDatabase db = on.createDatabase();
        db.execute("CREATE TABLE lists (id text PRIMARY KEY, name text)",
                "CREATE TABLE todos (id text PRIMARY KEY, list_id text, description text)",
                "INSERT INTO lists VALUES ('l1', 'Shared')", "INSERT INTO todos VALUES ('t1', 'l1', 'Milk')");
        return db;
    }

    private static Path config(Path dir, String extraCapture) throws Exception {
        Files.writeString(dir.resolve("rules.yaml"), """
                bucket_definitions:
                  everything:
                    data:
                      - SELECT * FROM lists
                      - SELECT * FROM todos
                """);
        return RunningApp.writeConfig(dir, RunningApp.SECRET, extraCapture);
    }

    private record Result(int exit, String out) {}

    private static Result doctor(Path config, String uri) {
        StringWriter out = new StringWriter();
        var cli = SynclineCli.commandLine(new SynclineCli(Map.of("PG_URI", uri), c -> {}));
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(out));
        int exit = cli.execute("doctor", "--config", config.toString());
        return new Result(exit, out.toString());
    }

    private static String uri(TestDatabase db, String user, String password) {
        return "postgresql://" + user + ":" + password + "@" + db.host() + ":" + db.port() + "/" + db.name();
    }

    /** A login role without REPLICATION that may read the tables, and a publication an admin made. */
    private static String loginWithoutReplication(TestDatabase db) {
        String role = "app_" + ProcessHandle.current().pid() + "_" + ROLES.incrementAndGet();
        db.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'",
                "GRANT SELECT ON lists, todos TO " + role,
                "CREATE PUBLICATION syncline FOR TABLE lists, todos");
        return role;
    }

    @Test
    void aGoodSetUpPassesEveryCheck(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(server)) {
            uploadRole(db, "authenticated");
            Result r = doctor(config(dir, ""), db.uri());
            assertThat(r.out()).contains("ok      wal_level: logical", "ok      replication: user ",
                    "ok      publication syncline: does not exist yet; Syncline creates it",
                    "ok      table public.todos: primary key", "no problems");
            assertThat(r.out()).doesNotContain("\nproblem ");
            assertThat(r.exit()).isZero();
        }
    }

    /** Uploads: the upload role, a login that could escape it, and each writable table without RLS (SYNC_U2009). */
    @Test
    void doctorNamesUploadTablesWithoutRowLevelSecurity(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(server)) {
            String role = uploadRole(db, "app_writer_" + ROLES.incrementAndGet());
            db.execute("ALTER TABLE todos ENABLE ROW LEVEL SECURITY",
                    "CREATE POLICY own ON todos TO " + role + " USING (true)");
            Result r = doctor(config(dir, "upload:\n  role: " + role + "\n"), db.uri());
            assertThat(r.out()).contains("warn    upload role: uploads connect as postgres, which is a superuser",
                    "ok      upload table public.todos: Row-Level Security applies to role " + role,
                    "warn    upload table public.lists: uploads refused (SYNC_U2009): table public.lists has no "
                            + "Row-Level Security — run ALTER TABLE public.lists ENABLE ROW LEVEL SECURITY");
            assertThat(r.exit()).as("a table uploads refuse is a warning: clients may only read it").isZero();

            Result trusted = doctor(config(dir, "upload:\n  role: " + role + "\n  trusted_tables: [lists]\n"), db.uri());
            assertThat(trusted.out()).contains("warn    upload table public.lists: written without Row-Level Security "
                    + "(upload.trusted_tables)");

            Result missing = doctor(config(dir, "upload:\n  role: nobody_" + ROLES.incrementAndGet() + "\n"), db.uri());
            assertThat(missing.out()).contains("problem upload role: uploads run as the database role `nobody_");
            assertThat(missing.exit()).isEqualTo(SynclineCli.INVALID);
        }
    }

    /** The role uploads become, made once per server (roles are cluster-wide) and granted the tables. */
    private static String uploadRole(TestDatabase db, String role) {
        db.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + role + "') THEN CREATE ROLE "
                        + role + " NOLOGIN; END IF; END $$",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON lists, todos TO " + role);
        return role;
    }

    @Test
    void aLoginWithoutReplication(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(server)) {
            String role = loginWithoutReplication(db);
            Path config = config(dir, "  manage_publication: false\n");
            Result r = doctor(config, uri(db, role, "pw"));
            assertThat(r.out()).contains("problem replication: user " + role + " has neither REPLICATION nor "
                    + "superuser — fix: ALTER ROLE \"" + role + "\" WITH REPLICATION");
            assertThat(r.exit()).isEqualTo(SynclineCli.INVALID);

            assertServerReportsProblem(dir, config, uri(db, role, "pw"), "SYNC_C1002");
        }
    }

    @Test
    void aTableMissingFromAPublicationAnAdminMade(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(server)) {
            db.execute("CREATE PUBLICATION syncline FOR TABLE lists");
            Path config = config(dir, "  manage_publication: false\n");
            Result r = doctor(config, db.uri());
            assertThat(r.out()).contains("problem publication syncline: lacks \"public\".\"todos\"",
                    "fix: as its owner or an admin: ALTER PUBLICATION \"syncline\" ADD TABLE \"public\".\"todos\"");
            assertThat(r.exit()).isEqualTo(SynclineCli.INVALID);

            assertServerReportsProblem(dir, config, db.uri(), "SYNC_C1008");
        }
    }

    /** Managed PostgreSQL: REPLICATION but no table ownership, so the admin's publication is used as it is. */
    @Test
    void aLoginThatOwnsNoTableUsesThePublicationAnAdminMade(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(server)) {
            String role = loginWithoutReplication(db);
            db.execute("ALTER ROLE " + role + " WITH REPLICATION");
            Path config = config(dir, "upload:\n  enabled: false\n");
            Result r = doctor(config, uri(db, role, "pw"));
            assertThat(r.out()).contains("ok      replication: user " + role + " has REPLICATION",
                    "ok      publication syncline: covers");
            assertThat(r.exit()).isZero();
            var loaded = ConfigLoader.load(config, Map.of("PG_URI", uri(db, role, "pw"))).withPort(0);
            try (SynclineApp app = SynclineApp.start(loaded, Clock.systemUTC())) {
                RunningApp.awaitReady(app);
                assertThat(get("http://127.0.0.1:" + app.port() + "/probes/readiness").statusCode()).isEqualTo(200);
            }
        }
    }

    @Test
    void aLoginThatMayNotCreateThePublicationIsToldTheStatement(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(server)) {
            String role = loginWithoutReplication(db);
            db.execute("ALTER ROLE " + role + " WITH REPLICATION", "DROP PUBLICATION syncline");
            Path config = config(dir, "upload:\n  enabled: false\n");
            Result r = doctor(config, uri(db, role, "pw"));
            assertThat(r.out()).contains("problem publication syncline: does not exist and user " + role
                    + " may not create it — fix: as an admin: CREATE PUBLICATION \"syncline\" FOR TABLE "
                    + "\"public\".\"lists\", \"public\".\"todos\"");
            assertThat(r.exit()).isEqualTo(SynclineCli.INVALID);

            assertServerReportsProblem(dir, config, uri(db, role, "pw"), "SYNC_C1008");
        }
    }

    @Test
    void walLevelReplica(@TempDir Path dir) throws Exception {
        Assumptions.assumeFalse(PostgresTestServer.external(), "needs a server started with wal_level=replica");
        replicaWal = replicaWal != null ? replicaWal : PostgresTestServer.start(Map.of("wal_level", "replica"));
        try (TestDatabase db = database(replicaWal)) {
            Path config = config(dir, "");
            Result r = doctor(config, db.uri());
            assertThat(r.out()).contains("problem wal_level: replica — fix: ALTER SYSTEM SET wal_level = logical");
            assertThat(r.exit()).isEqualTo(SynclineCli.INVALID);

            assertServerReportsProblem(dir, config, db.uri(), "SYNC_C1001");
        }
    }

    /** Rows are keyed by the primary key: an identity index without it would send deletes with no key. */
    @Test
    void aReplicaIdentityIndexWithoutThePrimaryKey(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(server)) {
            db.execute("ALTER TABLE todos ALTER COLUMN description SET NOT NULL",
                    "CREATE UNIQUE INDEX todos_description ON todos (description)",
                    "ALTER TABLE todos REPLICA IDENTITY USING INDEX todos_description",
                    "ALTER TABLE lists ALTER COLUMN name SET NOT NULL",
                    "CREATE UNIQUE INDEX lists_id_name ON lists (id, name)",
                    "ALTER TABLE lists REPLICA IDENTITY USING INDEX lists_id_name");
            Path config = config(dir, "upload:\n  enabled: false\n");
            Result r = doctor(config, db.uri());
            assertThat(r.out()).contains("ok      table public.lists: primary key, replica identity index",
                    "problem table public.todos: REPLICA IDENTITY USING INDEX on an index without every primary-key "
                            + "column (deletes would arrive without the row's key) — fix: ALTER TABLE \"public\".\"todos\" "
                            + "REPLICA IDENTITY DEFAULT");
            assertThat(r.exit()).isEqualTo(SynclineCli.INVALID);

            String readiness = assertServerReportsProblem(dir, config, db.uri(), "SYNC_C1205");
            assertThat(readiness).contains("USING INDEX", "todos");
        }
    }

    /** A server with room for one replication slot and one WAL sender, for the capacity problems. */
    private static PostgresTestServer oneSlotOneSender() {
        Assumptions.assumeFalse(PostgresTestServer.external(), "needs a server started with one slot and one sender");
        if (oneSlotOneSender == null) {
            oneSlotOneSender = PostgresTestServer.start(Map.of("max_replication_slots", "1", "max_wal_senders", "1"));
        }
        return oneSlotOneSender;
    }

    @Test
    void everyReplicationSlotTaken(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(oneSlotOneSender())) {
            db.execute("SELECT pg_create_logical_replication_slot('someone_else', 'pgoutput')");
            try {
                Path config = config(dir, "");
                Result r = doctor(config, db.uri());
                assertThat(r.out()).contains("problem max_replication_slots: ", "drop an unused slot");
                assertThat(r.exit()).isEqualTo(SynclineCli.INVALID);

                assertServerReportsProblem(dir, config, db.uri(), "SYNC_C1004");
            } finally {
                db.execute("SELECT pg_drop_replication_slot('someone_else')");
            }
        }
    }

    @Test
    void everyWalSenderBusy(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(oneSlotOneSender())) {
            java.util.Properties props = new java.util.Properties();
            props.setProperty("user", db.user());
            props.setProperty("password", db.password());
            props.setProperty("replication", "database");
            props.setProperty("preferQueryMode", "simple");
            props.setProperty("assumeMinServerVersion", "10");
            try (var holder = java.sql.DriverManager.getConnection(db.jdbcUrl(), props)) { // holds the one sender
                try (var st = holder.createStatement()) {
                    assertThat(st.execute("IDENTIFY_SYSTEM")).isTrue(); // a walsender answers it
                }
                Path config = config(dir, "");
                Result r = doctor(config, db.uri());
                assertThat(r.out()).contains("problem max_wal_senders: 1 of 1 in use", "stop another replication client");
                assertThat(r.exit()).isEqualTo(SynclineCli.INVALID);

                assertServerReportsProblem(dir, config, db.uri(), "SYNC_C1005");
            }
        }
    }

    /** The login owns the tables, so Syncline manages the publication, but an admin made it and owns it. */
    @Test
    void aPublicationOwnedByAnotherRole(@TempDir Path dir) throws Exception {
        try (TestDatabase db = database(server)) {
            String role = loginWithoutReplication(db); // also makes publication syncline (owner: the admin) for both tables
            db.execute("ALTER ROLE " + role + " WITH REPLICATION", "ALTER TABLE lists OWNER TO " + role,
                    "ALTER TABLE todos OWNER TO " + role, "ALTER PUBLICATION syncline DROP TABLE todos");
            Path config = config(dir, "");
            String readiness = assertServerReportsProblem(dir, config, uri(db, role, "pw"), "SYNC_C1007");
            assertThat(readiness).contains("ALTER PUBLICATION", "todos"); // the statement its owner has to run
        }
    }

    /** The server stays up: liveness answers, readiness is false with the code, /metrics names it, no retries. */
    private String assertServerReportsProblem(Path dir, Path config, String uri, String code) throws Exception {
        var loaded = ConfigLoader.load(config, Map.of("PG_URI", uri)).withPort(0);
        try (SynclineApp app = SynclineApp.start(loaded, Clock.systemUTC())) {
            String base = "http://127.0.0.1:" + app.port();
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            HttpResponse<String> readiness = get(base + "/probes/readiness");
            while (!readiness.body().contains(code) && System.nanoTime() < end) {
                Thread.sleep(100);
                readiness = get(base + "/probes/readiness");
            }
            assertThat(readiness.statusCode()).isEqualTo(503);
            assertThat(readiness.body()).contains("\"ok\":false", "\"code\":\"" + code + "\"");
            assertThat(get(base + "/probes/liveness").statusCode()).isEqualTo(200);
            assertThat(get(base + "/metrics").body()).contains("syncline_capture_stopped{code=\"" + code + "\"} 1")
                    .contains("syncline_capture_up 0");
            assertThat(app.captureProblem()).get().extracting(e -> e.error().code()).isEqualTo(code);
            assertThat(app.termination()).isNotDone();
            return readiness.body();
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
