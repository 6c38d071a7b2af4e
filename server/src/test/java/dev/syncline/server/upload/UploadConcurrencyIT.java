package dev.syncline.server.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.syncline.server.upload.UploadEndpointIT.body;
import static dev.syncline.server.upload.UploadEndpointIT.op;
import static dev.syncline.server.upload.UploadEndpointIT.tx;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One user cannot take every upload connection. Regression: all users shared the 8 connections of
 * {@code upload.max_connections} with no per-user bound, so one token could hold them all.
 */
class UploadConcurrencyIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    // An upload of body 'hold' waits in its trigger until the test releases advisory lock 42.
    private static final String HOLD = """
            CREATE FUNCTION notes_hold() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.body = 'hold' THEN
                    PERFORM pg_advisory_xact_lock_shared(42);
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER notes_hold BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION notes_hold();
            """;
    @RegisterExtension
    static final PerClassPostgres postgres = new PerClassPostgres();

    @Test
    void aUserAtTheLimitGets429WithRetryAfterWhileOtherUsersUploadOn(@TempDir Path dir) throws Exception {
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "  max_concurrent_per_user: 2", UploadApp.RULES, HOLD);
             Connection gate = app.db.connect()) {
            gate.createStatement().execute("SELECT pg_advisory_lock(42)");
            List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String request = body("c-" + i, tx(1, op("PUT", "notes", "held-" + UUID.randomUUID(), Map.of("body", "hold"))));
                held.add(CompletableFuture.supplyAsync(() -> send(app, "alice", request)));
            }
            awaitWaitingUploads(app, 2);

            HttpResponse<String> third = send(app, "alice", body("c-3", tx(1, op("PUT", "notes", "third", Map.of("body", "x")))));
            assertThat(third.statusCode()).as(third.body()).isEqualTo(429);
            assertThat(third.headers().firstValue("Retry-After")).contains("1");
            assertThat(JSON.readTree(third.body()).at("/error/code").asText()).isEqualTo("SYNC_U1007");

            HttpResponse<String> bob = send(app, "bob", body("c-bob", tx(1, op("PUT", "notes", "bob-" + UUID.randomUUID(),
                    Map.of("body", "x")))));
            assertThat(bob.statusCode()).as("other users are not limited by alice's uploads").isEqualTo(200);

            gate.createStatement().execute("SELECT pg_advisory_unlock(42)");
            for (CompletableFuture<HttpResponse<String>> f : held) {
                HttpResponse<String> done = f.get(30, TimeUnit.SECONDS);
                assertThat(JSON.readTree(done.body()).at("/transactions/0/status").asText()).as(done.body()).isEqualTo("applied");
            }
            assertThat(send(app, "alice", body("c-3", tx(1, op("PUT", "notes", "third", Map.of("body", "x"))))).statusCode())
                    .as("slots are given back").isEqualTo(200);
        }
    }

    private static HttpResponse<String> send(UploadApp app, String user, String body) {
        try {
            return app.upload(user, body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until {@code n} upload sessions wait for the advisory lock (a state, not a duration). */
    private static void awaitWaitingUploads(UploadApp app, int n) throws Exception {
        for (int i = 0; i < 100; i++) {
            try (var c = app.db.connect(); var rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_stat_activity"
                    + " WHERE application_name = 'syncline-upload' AND wait_event_type = 'Lock' AND wait_event = 'advisory'")) {
                rs.next();
                if (rs.getInt(1) >= n) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        StringBuilder seen = new StringBuilder();
        try (var c = app.db.connect(); var rs = c.createStatement().executeQuery("SELECT application_name, state,"
                + " wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity")) {
            while (rs.next()) {
                seen.append(rs.getString(1)).append('|').append(rs.getString(2)).append('|').append(rs.getString(3))
                        .append('|').append(rs.getString(4)).append('|').append(rs.getString(5)).append('\n');
            }
        }
        throw new AssertionError(n + " uploads never reached the advisory lock:\n" + seen);
    }
}
