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

import static dev.syncline.server.upload.UploadApp.ALICE_LIST;
import static dev.syncline.server.upload.UploadEndpointIT.body;
import static dev.syncline.server.upload.UploadEndpointIT.op;
import static dev.syncline.server.upload.UploadEndpointIT.tx;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Uploads through a login of their own ({@code upload.connection}), set up with the SQL of
 * docs/upload.md: a {@code NOINHERIT} login that can only become the upload role. Regression:
 * uploads always ran as the replication login, typically a superuser, so a trigger or function
 * doing {@code RESET ROLE} ran the rest of the upload with every privilege.
 */
class UploadLoginIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LOGIN = "syncline_upload";
    /** docs/upload.md, "A login of its own for uploads", verbatim but for the password. */
    private static final String LOGIN_SQL = """
            CREATE ROLE syncline_upload LOGIN NOINHERIT BYPASSRLS PASSWORD 'upload-pw';
            GRANT authenticated TO syncline_upload;
            CREATE SCHEMA IF NOT EXISTS syncline;
            CREATE TABLE IF NOT EXISTS syncline.applied_uploads (
                user_id    text        NOT NULL,
                client_id  text        NOT NULL,
                tx_id      bigint      NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (user_id, client_id, tx_id)
            );
            GRANT USAGE ON SCHEMA syncline TO syncline_upload;
            GRANT SELECT, INSERT, DELETE ON syncline.applied_uploads TO syncline_upload;
            GRANT USAGE ON SCHEMA public TO syncline_upload;
            GRANT SELECT (id) ON lists, todos, notes TO syncline_upload;
            """;
    // What a careless trigger could do: drop the role, then write where only the server's user may.
    private static final String ESCAPE = """
            ALTER TABLE notes ADD COLUMN written_by text DEFAULT session_user;
            CREATE TABLE escaped (who text);
            CREATE FUNCTION notes_escape() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.body = 'escape' THEN
                    RESET ROLE;
                    INSERT INTO escaped VALUES (current_user);
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER notes_escape BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION notes_escape();
            """;
    private static final String CONNECTION = """
              connection:
                type: postgresql
                hostname: ${PG_HOST}
                port: ${PG_PORT}
                database: ${PG_DATABASE}
                username: syncline_upload
                password: upload-pw
                sslmode: disable
            """;
    @RegisterExtension
    static final PerClassPostgres postgres = new PerClassPostgres();

    @Test
    void uploadsRunAsTheirOwnNoinheritLoginAndRESETROLEGainsNothing(@TempDir Path dir) throws Exception {
        try (UploadApp app = UploadApp.start(postgres.server(), dir, CONNECTION, UploadApp.RULES, LOGIN_SQL, ESCAPE)) {
            String note = "login-" + UUID.randomUUID();
            String alicesTodo = scalar(app, "SELECT id::text FROM todos WHERE list_id = '" + ALICE_LIST + "' LIMIT 1");
            JsonNode outcomes = outcomes(app.upload("bob", body("c-login",
                    tx(1, op("PUT", "notes", note, Map.of("body", "hello"))),
                    tx(2, op("PUT", "notes", "escape-" + UUID.randomUUID(), Map.of("body", "escape"))),
                    tx(3, op("PATCH", "todos", alicesTodo, Map.of("description", "hacked"))),
                    tx(4, op("PATCH", "notes", "never-existed", Map.of("body", "x"))))));
            assertThat(outcomes.findValuesAsText("status")).containsExactly("applied", "rejected", "rejected", "rejected");
            assertThat(codes(outcomes)).containsExactly("", "SYNC_U2003", "SYNC_U2003", "SYNC_U2004");
            assertThat(scalar(app, "SELECT written_by FROM notes WHERE id = '" + note + "'")).isEqualTo(LOGIN);
            assertThat(scalar(app, "SELECT count(*) FROM escaped")).as("RESET ROLE left only the login's own rights").isEqualTo("0");
        }
    }

    private static JsonNode outcomes(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("transactions");
    }

    private static List<String> codes(JsonNode outcomes) {
        List<String> out = new ArrayList<>();
        outcomes.forEach(o -> out.add(o.path("code").asText("")));
        return out;
    }

    private static String scalar(UploadApp app, String sql) throws Exception {
        try (var c = app.db.connect(); var rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
