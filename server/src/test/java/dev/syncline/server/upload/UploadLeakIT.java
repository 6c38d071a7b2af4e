package dev.syncline.server.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.syncline.server.upload.UploadEndpointIT.body;
import static dev.syncline.server.upload.UploadEndpointIT.op;
import static dev.syncline.server.upload.UploadEndpointIT.tx;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What clients see of real failing uploads: a code and a safe message. Regression: bodies carried
 * pgjdbc's host:port, the database user, the GRANT statements that fix the setup, every writable
 * table and column, and PostgreSQL's DETAIL with row values.
 */
class UploadLeakIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    static final PerClassPostgres postgres = new PerClassPostgres();

    @Test
    void rejectionsNameNeitherRowValuesNorTheSchemaTheClientWasNotGiven(@TempDir Path dir) throws Exception {
        // Without RLS (a trusted table), PostgreSQL's DETAIL of a CHECK failure is "Failing row
        // contains (…)", with the values the client never sent (a default here) included.
        String vault = """
                CREATE TABLE vault (id text PRIMARY KEY, secret text DEFAULT 'TOPSECRET-default', n int CHECK (n >= 0));
                GRANT SELECT, INSERT, UPDATE ON vault TO authenticated;
                """;
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "  tables: [notes, vault]\n  trusted_tables: [vault]",
                UploadApp.RULES, vault)) {
            HttpResponse<String> response = app.upload("alice", body("c-leak",
                    tx(1, op("PUT", "vault", "v1", Map.of("n", -1))),
                    tx(2, op("PUT", "no_such_table", "x", Map.of("a", 1))),
                    tx(3, op("PATCH", "notes", "x", Map.of("no_such_column", "x")))));
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode outcomes = JSON.readTree(response.body()).path("transactions");
            assertThat(outcomes.findValuesAsText("code")).containsExactly("SYNC_U2005", "SYNC_U2001", "SYNC_U2002");
            assertThat(outcomes.at("/0/message").asText()).contains("vault_n_check").doesNotContain("TOPSECRET", "Failing row");
            assertThat(outcomes.at("/1/message").asText()).as("no list of writable tables").doesNotContain("notes", "vault");
            assertThat(outcomes.at("/2/message").asText()).as("no list of columns, no schema")
                    .doesNotContain("score", "tags", "owner_id", "public.");
        }
    }

    @Test
    void aSetupProblemIsExplainedInTheLogNotToTheClient(@TempDir Path dir) throws Exception {
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "  role: no_such_upload_role")) {
            HttpResponse<String> response = app.upload("alice", body("c-setup", tx(1, op("PUT", "notes", "x", Map.of()))));
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(response.body()).at("/error/code").asText()).isEqualTo("SYNC_U1006");
            assertThat(response.body()).contains("server log")
                    .doesNotContain("GRANT", "CREATE ROLE", "no_such_upload_role", app.db.user(), "syncline.applied_uploads");
        }
    }

    @Test
    void anUnreachableDatabaseIsNotNamedToTheClient(@TempDir Path dir) throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String connection = """
                  connection:
                    type: postgresql
                    uri: postgresql://upload_login:pw@127.0.0.1:%d/somedb
                    sslmode: disable
                """.formatted(closed);
        try (UploadApp app = UploadApp.start(postgres.server(), dir, connection)) {
            HttpResponse<String> response = app.upload("alice", body("c-down", tx(1, op("PUT", "notes", "x", Map.of()))));
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(response.body()).at("/error/code").asText()).isEqualTo("SYNC_U1006");
            for (String secret : List.of("127.0.0.1", Integer.toString(closed), "upload_login", "somedb", "localhost")) {
                assertThat(response.body()).doesNotContain(secret);
            }
        }
    }
}
