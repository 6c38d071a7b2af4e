package dev.syncline.server.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import static dev.syncline.server.upload.UploadApp.ALICE_LIST;
import static dev.syncline.server.upload.UploadEndpointIT.body;
import static dev.syncline.server.upload.UploadEndpointIT.op;
import static dev.syncline.server.upload.UploadEndpointIT.tx;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Uploads refuse tables Row-Level Security does not guard. Regression: a membership table read only
 * by a parameter query, granted to the upload role but without RLS, let bob add himself to alice's
 * list (and so receive her data), because the default allow-list is every table the rules read.
 */
class UploadRowSecurityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MEMBERSHIPS = """
            CREATE TABLE memberships (id uuid PRIMARY KEY, list_id uuid NOT NULL, user_id text NOT NULL);
            GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO authenticated;
            """;
    private static final String RULES = """
            bucket_definitions:
              member_lists:
                parameters: SELECT list_id FROM memberships WHERE user_id = request.user_id()
                data:
                  - SELECT * FROM lists WHERE id = bucket.list_id
            """;
    @RegisterExtension
    static final PerClassPostgres postgres = new PerClassPostgres();

    private static String joinAlicesList(UploadApp app, long txId) {
        return body("c-join", tx(txId, op("PUT", "memberships", UUID.randomUUID().toString(),
                Map.of("list_id", ALICE_LIST, "user_id", "bob"))));
    }

    @Test
    void aTableWithoutRowLevelSecurityIsRefusedWithTheFixAndNothingIsWritten(@TempDir Path dir) throws Exception {
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "  enabled: true", RULES, MEMBERSHIPS)) {
            JsonNode outcome = outcome(app.upload("bob", joinAlicesList(app, 1)));
            assertThat(outcome.path("status").asText()).as(outcome.toString()).isEqualTo("rejected");
            assertThat(outcome.path("code").asText()).isEqualTo("SYNC_U2009");
            assertThat(outcome.path("message").asText()).contains("`memberships`")
                    .contains("ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY").contains("upload.trusted_tables");
            assertThat(count(app)).isZero();

            // With RLS enabled and a policy, the table is writable and the policy decides.
            app.db.execute("ALTER TABLE memberships ENABLE ROW LEVEL SECURITY",
                    "CREATE POLICY memberships_owner ON memberships TO authenticated"
                            + " USING (demo_owns_list(list_id)) WITH CHECK (demo_owns_list(list_id))");
            app.restart();
            JsonNode guarded = outcome(app.upload("bob", joinAlicesList(app, 2)));
            assertThat(guarded.path("code").asText()).as(guarded.toString()).isEqualTo("SYNC_U2003");
            String carol = body("c-own", tx(1, op("PUT", "memberships", UUID.randomUUID().toString(),
                    Map.of("list_id", ALICE_LIST, "user_id", "carol"))));
            assertThat(outcome(app.upload("alice", carol)).path("status").asText()).isEqualTo("applied");
            assertThat(count(app)).as("only alice's own grant").isOne();
        }
    }

    @Test
    void aTrustedTableIsWrittenWithoutRowLevelSecurity(@TempDir Path dir) throws Exception {
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "  trusted_tables: [memberships]", RULES, MEMBERSHIPS)) {
            assertThat(outcome(app.upload("bob", joinAlicesList(app, 1))).path("status").asText()).isEqualTo("applied");
            assertThat(count(app)).isOne();
        }
    }

    private static JsonNode outcome(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("transactions").path(0);
    }

    private static long count(UploadApp app) throws Exception {
        try (var c = app.db.connect(); var rs = c.createStatement().executeQuery(
                "SELECT count(*) FROM memberships WHERE list_id = '" + ALICE_LIST + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
