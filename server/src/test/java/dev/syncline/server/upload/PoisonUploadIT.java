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

import static dev.syncline.server.upload.UploadEndpointIT.body;
import static dev.syncline.server.upload.UploadEndpointIT.op;
import static dev.syncline.server.upload.UploadEndpointIT.tx;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client transaction that always runs past the real {@code statement_timeout} (a trigger that
 * sleeps). Regression: SQLSTATE 57014 was transient, so it was retried four times per request and
 * answered retryable forever, and every later transaction of that client waited behind it.
 */
class PoisonUploadIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SLOW = """
            CREATE FUNCTION notes_slow() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.body = 'slow' THEN
                    PERFORM pg_sleep(5);
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER notes_slow BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION notes_slow();
            """;
    @RegisterExtension
    static final PerClassPostgres postgres = new PerClassPostgres();

    @Test
    void aTransactionThatTimesOutInThreeRequestsIsRejectedAndTheQueueMovesOn(@TempDir Path dir) throws Exception {
        try (UploadApp app = UploadApp.start(postgres.server(), dir, "  statement_timeout: 300ms", UploadApp.RULES, SLOW)) {
            String slow = "slow-" + UUID.randomUUID();
            String next = "next-" + UUID.randomUUID();
            String request = body("c-poison", tx(1, op("PUT", "notes", "before-" + UUID.randomUUID(), Map.of("body", "ok")),
                    op("PUT", "notes", slow, Map.of("body", "slow"))), tx(2, op("PUT", "notes", next, Map.of("body", "fine"))));
            for (int attempt = 1; attempt <= 2; attempt++) {
                JsonNode outcomes = outcomes(app.upload("alice", request));
                assertThat(statuses(outcomes)).as("request " + attempt).containsExactly("retryable", "retryable");
                assertThat(outcomes.at("/0/message").asText()).contains("op 1 (PUT notes/" + slow + ")")
                        .contains("statement_timeout 300 ms").contains("attempt " + attempt + " of 3");
            }
            JsonNode third = outcomes(app.upload("alice", request));
            assertThat(statuses(third)).containsExactly("rejected", "applied");
            assertThat(third.at("/0/code").asText()).isEqualTo("SYNC_U2010");
            assertThat(third.at("/0/message").asText()).contains("statement_timeout").contains("3 requests");
            assertThat(count(app, slow)).isZero();
            assertThat(count(app, next)).isOne();

            // Another user's transaction with the same client and tx ids has a count of its own.
            assertThat(statuses(outcomes(app.upload("bob", body("c-poison", tx(1,
                    op("PUT", "notes", "bob-" + UUID.randomUUID(), Map.of("body", "slow")))))))).containsExactly("retryable");
        }
    }

    private static JsonNode outcomes(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("transactions");
    }

    private static List<String> statuses(JsonNode outcomes) {
        List<String> out = new ArrayList<>();
        outcomes.forEach(o -> out.add(o.path("status").asText()));
        return out;
    }

    private static long count(UploadApp app, String id) throws Exception {
        try (var c = app.db.connect(); var ps = c.prepareStatement("SELECT count(*) FROM notes WHERE id = ?")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
