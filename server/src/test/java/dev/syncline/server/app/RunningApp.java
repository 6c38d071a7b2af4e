package dev.syncline.server.app;

import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The whole server on a fresh test database with a small shared-lists schema (lists,
 * list_members, todos), the membership sync rules and an HS256 secret, on a free port.
 */
public final class RunningApp implements AutoCloseable {
    static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0NQ";

    public final TestDatabase db;
    public final SynclineApp app;
    private final DevTokens tokens;

    private RunningApp(TestDatabase db, SynclineApp app, DevTokens tokens) {
        this.db = db;
        this.app = app;
        this.tokens = tokens;
    }

    public static RunningApp start(PostgresTestServer server, Path dir) throws Exception {
        return start(server, dir, "");
    }

    /** @param extraYaml further top-level config sections, e.g. {@code api:} limits (see {@link #writeConfig}) */
    public static RunningApp start(PostgresTestServer server, Path dir, String extraYaml) throws Exception {
        return start(server, dir, extraYaml, MEMBERSHIP_RULES);
    }

    /** The membership rules {@link #start(PostgresTestServer, Path)} serves. */
    public static final String MEMBERSHIP_RULES = """
            bucket_definitions:
              user_lists:
                parameters: SELECT list_id FROM list_members WHERE user_id = request.user_id()
                data:
                  - SELECT * FROM lists WHERE id = bucket.list_id
                  - SELECT * FROM todos WHERE list_id = bucket.list_id
            """;

    /** As {@link #start(PostgresTestServer, Path, String)} with the sync config {@code rulesYaml} over the same tables. */
    public static RunningApp start(PostgresTestServer server, Path dir, String extraYaml, String rulesYaml)
            throws Exception {
        return start(server, dir, extraYaml, rulesYaml, false);
    }

    /** As {@link #start(PostgresTestServer, Path, String, String)}, with bucket storage in PostgreSQL if asked. */
    public static RunningApp start(PostgresTestServer server, Path dir, String extraYaml, String rulesYaml,
                                   boolean postgresStorage) throws Exception {
        TestDatabase db = server.createDatabase();
        db.execute("CREATE TABLE lists (id text PRIMARY KEY, name text, owner_id text)",
                "CREATE TABLE list_members (list_id text, user_id text, PRIMARY KEY (list_id, user_id))",
                "CREATE TABLE todos (id text PRIMARY KEY, list_id text, description text, done boolean, n int8)",
                "INSERT INTO lists VALUES ('l1', 'Shared', 'alice'), ('l2', 'Alice only', 'alice'), ('l3', 'Bob only', 'bob')",
                "INSERT INTO list_members VALUES ('l1', 'alice'), ('l1', 'bob'), ('l2', 'alice'), ('l3', 'bob')",
                "INSERT INTO todos VALUES ('t1', 'l1', 'Milk', false, 9007199254740993), ('t2', 'l2', 'Report', true, 1),"
                        + " ('t3', 'l3', 'Book', false, 2)");
        Files.writeString(dir.resolve("rules.yaml"), rulesYaml);
        Path config = writeConfig(dir, SECRET, extraYaml);
        if (postgresStorage) {
            usePostgresStorage(config);
        }
        SynclineConfig loaded = ConfigLoader.load(config, Map.of("PG_URI", db.uri()));
        SynclineConfig onFreePort = loaded.withPort(0);
        SynclineApp app = SynclineApp.start(onFreePort, Clock.systemUTC());
        return new RunningApp(db, app, DevTokens.from(loaded.clientAuth(), Clock.systemUTC()).orElseThrow());
    }

    /**
     * Rewrites a config from {@link #writeConfig} to keep bucket storage in PostgreSQL: the
     * {@code syncline_storage} schema of the source database ({@code ${PG_URI}}).
     */
    public static void usePostgresStorage(Path config) throws java.io.IOException {
        String text = Files.readString(config);
        String sqlite = "storage:\n  path: ./storage/syncline.db\n";
        if (!text.contains(sqlite)) {
            throw new IllegalArgumentException("not a config written by RunningApp.writeConfig: " + config);
        }
        Files.writeString(config, text.replace(sqlite, "storage:\n  type: postgresql\n  uri: ${PG_URI}\n  sslmode: disable\n"));
    }

    /**
     * Writes {@code dir/syncline.yaml} for a test server: source {@code ${PG_URI}}, storage and
     * {@code rules.yaml} in {@code dir}, one HS256 key ({@code secret}, audience {@code syncline-test}),
     * a 1 s heartbeat, then {@code extraYaml} (further top-level sections) verbatim.
     */
    public static Path writeConfig(Path dir, String secret, String extraYaml) throws java.io.IOException {
        return Files.writeString(dir.resolve("syncline.yaml"), """
                port: 8080
                replication:
                  connections:
                    - type: postgresql
                      uri: ${PG_URI}
                      sslmode: disable
                storage:
                  path: ./storage/syncline.db
                sync_rules:
                  path: rules.yaml
                client_auth:
                  audience: [syncline-test]
                  jwks:
                    keys:
                      - kty: oct
                        alg: HS256
                        k: %s
                capture:
                  heartbeat_interval: 1s
                """.formatted(secret) + extraYaml);
    }

    public String token(String user) {
        return tokens.mint(user, Duration.ofHours(1));
    }

    public String endpoint() {
        return "http://127.0.0.1:" + app.port();
    }

    /** Waits until the initial copy is consistent (readiness). */
    public RunningApp awaitReady() throws InterruptedException {
        awaitReady(app);
        return this;
    }

    /** Waits up to 60 s until {@code app} is ready (initial copy consistent); fails if it stops first. */
    public static void awaitReady(SynclineApp app) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!app.ready()) {
            if (System.nanoTime() > end || app.termination().isDone() || app.captureProblem().isPresent()) {
                throw new AssertionError("the server did not become ready: "
                        + app.captureProblem().map(Throwable::getMessage).orElse("timed out"));
            }
            Thread.sleep(50);
        }
    }

    /**
     * Waits up to {@code timeout} until change capture has stopped on a problem no retry heals
     * (the server itself stays up: see {@link SynclineApp#captureProblem()}); fails otherwise.
     */
    public static dev.syncline.server.source.postgres.CaptureException awaitCaptureProblem(SynclineApp app,
            Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (app.captureProblem().isEmpty()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("capture did not stop on a problem within " + timeout);
            }
            Thread.sleep(50);
        }
        return app.captureProblem().get();
    }

    @Override
    public void close() {
        app.close();
        db.close();
    }
}
