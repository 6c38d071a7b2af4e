package dev.syncline.server.upload;

import dev.syncline.server.app.RunningApp;
import dev.syncline.server.app.SynclineApp;
import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.demo.DemoPostgres;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The whole server on a fresh test database holding the demo schema with its shipped RLS policies
 * and sample data (alice and bob), plus a {@code notes} table with text ids and many column types
 * for value tests. The app can be restarted on the same database.
 */
public final class UploadApp implements AutoCloseable {
    static final String SECRET = "dXBsb2FkLXNlY3JldC11cGxvYWQtc2VjcmV0LXVwbG9hZC0xMjM0NTY";
    public static final String SHARED_LIST = "11111111-1111-4111-8111-111111111111";
    static final String ALICE_LIST = "22222222-2222-4222-8222-222222222222";
    static final String BOB_LIST = "33333333-3333-4333-8333-333333333333";
    static final String NOTES = """
            CREATE TABLE notes (
                id       text PRIMARY KEY,
                owner_id text NOT NULL DEFAULT demo_user_id(),
                body     text,
                n        int8,
                score    numeric,
                tags     jsonb,
                at       timestamptz,
                flag     boolean,
                labels   text[],
                grid     int4[],
                shout    text GENERATED ALWAYS AS (upper(body)) STORED,
                CHECK (n IS NULL OR n >= 0)
            );
            GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO authenticated;
            ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
            CREATE POLICY notes_own ON notes TO authenticated
                USING (owner_id = demo_user_id()) WITH CHECK (owner_id = demo_user_id());
            """;
    static final String RULES = """
            bucket_definitions:
              user_lists:
                parameters: SELECT list_id FROM list_members WHERE user_id = request.user_id()
                data:
                  - SELECT * FROM lists WHERE id = bucket.list_id
                  - SELECT * FROM todos WHERE list_id = bucket.list_id
              user_notes:
                parameters: SELECT request.user_id() AS user_id
                data:
                  - SELECT * FROM notes WHERE owner_id = bucket.user_id
            """;

    public final TestDatabase db;
    private final SynclineConfig config;
    private final DevTokens tokens;
    private final HttpClient http = HttpClient.newHttpClient();
    private SynclineApp app;

    private UploadApp(TestDatabase db, SynclineConfig config) {
        this.db = db;
        this.config = config;
        this.tokens = DevTokens.from(config.clientAuth(), Clock.systemUTC()).orElseThrow();
        this.app = SynclineApp.start(config, Clock.systemUTC());
    }

    /**
     * @param uploadYaml the {@code upload:} section's body (indented two spaces), or empty; it may use
     *                   {@code ${PG_HOST}}, {@code ${PG_PORT}} and {@code ${PG_DATABASE}} of the test database
     */
    public static UploadApp start(PostgresTestServer server, Path dir, String uploadYaml) throws Exception {
        return start(server, dir, uploadYaml, RULES);
    }

    /** @param rules the sync rules YAML (the uploads' allow-list and client names come from it) */
    public static UploadApp start(PostgresTestServer server, Path dir, String uploadYaml, String rules) throws Exception {
        return start(server, dir, uploadYaml, rules, new String[0]);
    }

    /** @param setupSql run on the new database after the demo schema, before the server starts */
    public static UploadApp start(PostgresTestServer server, Path dir, String uploadYaml, String rules, String... setupSql)
            throws Exception {
        TestDatabase db = server.createDatabase();
        db.execute(DemoPostgres.resource("schema.sql"), DemoPostgres.resource("sample-data.sql"), NOTES);
        if (setupSql.length > 0) {
            db.execute(setupSql);
        }
        Files.writeString(dir.resolve("rules.yaml"), rules);
        Path file = RunningApp.writeConfig(dir, SECRET,
                "upload:\n" + (uploadYaml.isBlank() ? "  enabled: true" : uploadYaml) + "\n");
        SynclineConfig loaded = ConfigLoader.load(file, Map.of("PG_URI", db.uri(), "PG_HOST", db.host(),
                "PG_PORT", Integer.toString(db.port()), "PG_DATABASE", db.name()));
        return new UploadApp(db, loaded.withPort(0));
    }

    public static UploadApp start(PostgresTestServer server, Path dir) throws Exception {
        return start(server, dir, "");
    }

    /** Stops the server (as a crash would, between requests) and starts it again on the same database. */
    public void restart() {
        app.close();
        app = SynclineApp.start(config, Clock.systemUTC());
    }

    public SynclineApp app() {
        return app;
    }

    public String token(String user) {
        return tokens.mint(user, Duration.ofHours(1));
    }

    public String endpoint() {
        return "http://127.0.0.1:" + app.port();
    }

    /** POSTs {@code body} to /api/upload as {@code user} (null: no Authorization header). */
    public HttpResponse<String> upload(String user, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint() + "/api/upload"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (user != null) {
            request.header("Authorization", "Bearer " + token(user));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoint() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        app.close();
        db.close();
    }
}
