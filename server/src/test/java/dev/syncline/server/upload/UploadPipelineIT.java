package dev.syncline.server.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.syncline.server.upload.UploadEndpointIT.body;
import static dev.syncline.server.upload.UploadEndpointIT.op;
import static dev.syncline.server.upload.UploadEndpointIT.tx;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each client transaction is sent as one pipeline (session reset, marker row, role and claims,
 * every op) and then committed, on pooled connections the pool no longer resets on release
 * (docs/upload.md, How a transaction runs). What that must not change: nothing one upload leaves
 * in the session reaches the next, refusals still name their op and write nothing, RLS still
 * decides, and a transaction sent several times at once is applied once.
 */
class UploadPipelineIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A trigger that leaves a session-level setting behind, and records the one it finds. */
    private static final String LEAKY = """
            CREATE FUNCTION notes_leak() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.tags := jsonb_build_object('seen', current_setting('app.leak', true));
                IF NEW.body = 'leak' THEN
                    PERFORM set_config('app.leak', 'left by ' || current_setting('request.jwt.claim.sub'), false);
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER notes_leak BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION notes_leak();
            """;
    @RegisterExtension
    static final PerClassPostgres postgres = new PerClassPostgres();

    @Test
    void aSessionSettingOneUploadLeavesBehindNeverReachesTheNext(@TempDir Path dir) throws Exception {
        // One connection: every upload runs on the one the previous upload used.
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "  max_connections: 1", UploadApp.RULES, LEAKY)) {
            String leak = "leak-" + UUID.randomUUID();
            assertThat(statuses(app.upload("alice", body("c-leak-a", tx(1, op("PUT", "notes", leak,
                    Map.of("body", "leak"))))))).containsExactly("applied");
            for (String user : List.of("bob", "alice")) {
                String id = user + "-" + UUID.randomUUID();
                assertThat(statuses(app.upload(user, body("c-leak-" + user, tx(2, op("PUT", "notes", id,
                        Map.of("body", "plain"))))))).containsExactly("applied");
                // "" rather than null: RESET ALL keeps a custom setting once defined in the session, empty.
                assertThat(column(app, "tags->>'seen'", id)).as("setting seen by %s's next upload", user).isNullOrEmpty();
            }
        }
    }

    @Test
    void aRefusedOpInTheMiddleIsNamedAndNothingOfItsTransactionIsWritten(@TempDir Path dir) throws Exception {
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "", UploadApp.RULES)) {
            String first = "first-" + UUID.randomUUID();
            String missing = "missing-" + UUID.randomUUID();
            String last = "last-" + UUID.randomUUID();
            String next = "next-" + UUID.randomUUID();
            HttpResponse<String> response = app.upload("alice", body("c-middle",
                    tx(1, op("PUT", "notes", first, Map.of("body", "a")), op("PATCH", "notes", missing, Map.of("body", "b")),
                            op("PUT", "notes", last, Map.of("body", "c"))),
                    tx(2, op("PUT", "notes", next, Map.of("body", "d")))));
            JsonNode outcomes = outcomes(response);
            assertThat(statuses(response)).containsExactly("rejected", "applied");
            assertThat(outcomes.at("/0/code").asText()).isEqualTo("SYNC_U2004");
            assertThat(outcomes.at("/0/message").asText()).contains("op 1 (PATCH notes/" + missing + ")");
            assertThat(outcomes.at("/1/txid").asLong()).isPositive();
            assertThat(count(app, first) + count(app, last)).isZero();
            assertThat(count(app, next)).isOne();
        }
    }

    @Test
    void rowLevelSecurityStillDecidesEachWrite(@TempDir Path dir) throws Exception {
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "", UploadApp.RULES)) {
            String own = "own-" + UUID.randomUUID();
            String forged = "forged-" + UUID.randomUUID();
            HttpResponse<String> response = app.upload("alice", body("c-rls",
                    tx(1, op("PUT", "notes", own, Map.of("body", "mine"))),
                    tx(2, op("PUT", "notes", forged, Map.of("body", "bob's", "owner_id", "bob")))));
            assertThat(statuses(response)).containsExactly("applied", "rejected");
            assertThat(outcomes(response).at("/1/code").asText()).isEqualTo("SYNC_U2003");
            assertThat(column(app, "owner_id", own)).isEqualTo("alice");
            assertThat(count(app, forged)).isZero();
            // bob cannot change alice's row: hidden by RLS, told apart from a missing row.
            HttpResponse<String> bob = app.upload("bob", body("c-rls-bob", tx(1, op("PATCH", "notes", own,
                    Map.of("body", "bob was here")))));
            assertThat(statuses(bob)).containsExactly("rejected");
            assertThat(outcomes(bob).at("/0/code").asText()).isEqualTo("SYNC_U2003");
            assertThat(column(app, "body", own)).isEqualTo("mine");
        }
    }

    @Test
    void aRequestSentSeveralTimesAtOnceIsAppliedOnce(@TempDir Path dir) throws Exception {
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "  max_connections: 4\n  max_concurrent_per_user: 4",
                UploadApp.RULES)) {
            String a = "a-" + UUID.randomUUID();
            String b = "b-" + UUID.randomUUID();
            String c = "c-" + UUID.randomUUID();
            String request = body("c-retry", tx(7, op("PUT", "notes", a, Map.of("body", "1")),
                    op("PUT", "notes", b, Map.of("body", "2"))), tx(8, op("PUT", "notes", c, Map.of("body", "3"))));
            List<HttpResponse<String>> responses = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
                List<Future<HttpResponse<String>>> sent = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    sent.add(pool.submit((Callable<HttpResponse<String>>) () -> app.upload("alice", request)));
                }
                for (Future<HttpResponse<String>> f : sent) {
                    responses.add(f.get());
                }
            }
            List<String> all = new ArrayList<>();
            List<Long> txids = new ArrayList<>();
            for (HttpResponse<String> r : responses) {
                all.addAll(statuses(r));
                JSON.readTree(r.body()).path("txids").forEach(t -> txids.add(t.asLong()));
            }
            assertThat(all).hasSize(8).filteredOn("applied"::equals).hasSize(2);
            assertThat(all).filteredOn("duplicate"::equals).hasSize(6);
            assertThat(txids).hasSize(2).doesNotHaveDuplicates();
            assertThat(count(app, a) + count(app, b) + count(app, c)).isEqualTo(3);
        }
    }

    /** Refuses at COMMIT (a deferred constraint trigger) a note whose body is 'refuse at commit' while the switch is on. */
    private static final String FAILS_AT_COMMIT = """
            CREATE TABLE commit_switch (refuse boolean NOT NULL);
            INSERT INTO commit_switch VALUES (true);
            GRANT SELECT ON commit_switch TO authenticated;
            CREATE FUNCTION notes_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.body = 'refuse at commit' AND (SELECT refuse FROM commit_switch) THEN
                    RAISE EXCEPTION 'refused at commit';
                END IF;
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER notes_at_commit AFTER INSERT OR UPDATE ON notes DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION notes_at_commit();
            """;

    @Test
    void aTransactionWhoseCommitFailsIsNotReportedAppliedAndItsResendIsAppliedOnce(@TempDir Path dir) throws Exception {
        // One connection: the transactions after the failed COMMIT run on the connection it failed on.
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "  max_connections: 1", UploadApp.RULES, FAILS_AT_COMMIT)) {
            String before = "before-" + UUID.randomUUID();
            String refused = "refused-" + UUID.randomUUID();
            String after = "after-" + UUID.randomUUID();
            String request = body("c-commit", tx(1, op("PUT", "notes", before, Map.of("body", "a"))),
                    tx(2, op("PUT", "notes", refused, Map.of("body", "refuse at commit"))),
                    tx(3, op("PUT", "notes", after, Map.of("body", "c"))));
            HttpResponse<String> first = app.upload("alice", request);
            assertThat(statuses(first)).containsExactly("applied", "rejected", "applied");
            assertThat(outcomes(first).at("/1/message").asText()).contains("refused at commit");
            assertThat(JSON.readTree(first.body()).path("txids")).hasSize(2);
            assertThat(count(app, before) + count(app, after)).isEqualTo(2);
            assertThat(count(app, refused)).isZero();

            app.db.execute("UPDATE commit_switch SET refuse = false");
            HttpResponse<String> resent = app.upload("alice", request);
            assertThat(statuses(resent)).containsExactly("duplicate", "applied", "duplicate");
            assertThat(statuses(app.upload("alice", request))).containsExactly("duplicate", "duplicate", "duplicate");
            assertThat(count(app, before) + count(app, refused) + count(app, after)).isEqualTo(3);
        }
    }

    private static JsonNode outcomes(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("transactions");
    }

    private static List<String> statuses(HttpResponse<String> response) throws Exception {
        List<String> out = new ArrayList<>();
        outcomes(response).forEach(o -> out.add(o.path("status").asText()));
        return out;
    }

    private static long count(UploadApp app, String id) throws Exception {
        return column(app, "count(*)", id) == null ? 0 : Long.parseLong(column(app, "count(*)", id));
    }

    private static String column(UploadApp app, String expression, String id) throws Exception {
        try (var c = app.db.connect(); var ps = c.prepareStatement("SELECT " + expression + " FROM notes WHERE id = ?"
                + (expression.startsWith("count") ? "" : " LIMIT 1"))) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
