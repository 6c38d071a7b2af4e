package dev.syncline.server.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.syncline.server.testing.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.syncline.server.upload.UploadApp.ALICE_LIST;
import static dev.syncline.server.upload.UploadApp.BOB_LIST;
import static dev.syncline.server.upload.UploadApp.SHARED_LIST;
import static org.assertj.core.api.Assertions.assertThat;

/** POST /api/upload against the whole server, real PostgreSQL and the demo's RLS policies. */
class UploadEndpointIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static PostgresTestServer postgres;
    private static UploadApp app;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        postgres = PostgresTestServer.start();
        app = UploadApp.start(postgres, dir, """
                  max_body_bytes: 64KB
                  max_transactions: 10
                  max_ops_per_transaction: 20
                  max_json_depth: 16
                """);
        // Transient failures on demand: a sequence is not rolled back with the transaction, so it
        // counts attempts; 'flaky' fails twice with a serialization failure, 'deadlocked' always.
        app.db.execute("""
                CREATE SEQUENCE flaky_attempts;
                GRANT USAGE ON SEQUENCE flaky_attempts TO authenticated;
                CREATE FUNCTION notes_flaky() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.body = 'flaky' AND nextval('flaky_attempts') <= 2 THEN
                        RAISE EXCEPTION 'simulated serialization failure' USING ERRCODE = '40001';
                    END IF;
                    IF NEW.body = 'deadlocked' THEN
                        RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = '40P01';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER notes_flaky BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION notes_flaky();
                """);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void userCreatesUpdatesAndDeletesTodosInTheirLists() throws Exception {
        String id = UUID.randomUUID().toString();
        JsonNode outcomes = ok(app.upload("alice", body("c-own",
                tx(1, op("PUT", "todos", id, Map.of("list_id", SHARED_LIST, "description", "Eggs", "created_by", "mallory"))),
                tx(2, op("PATCH", "todos", id, Map.of("description", "Eggs (12)", "completed", 1))))));
        assertThat(statuses(outcomes)).containsExactly("applied", "applied");
        assertThat(row("SELECT description, completed, created_by FROM todos WHERE id = ?::uuid", id))
                .as("the trigger stamps the uploading user, not what the client claimed")
                .containsExactly("Eggs (12)", "t", "alice");

        assertThat(statuses(ok(app.upload("bob", body("c-bob", tx(1, op("DELETE", "todos", id, null)))))))
                .as("bob is a member of the shared list too").containsExactly("applied");
        assertThat(count("SELECT count(*) FROM todos WHERE id = ?::uuid", id)).isZero();
    }

    @Test
    void writingAnotherUsersRowIsRejectedWithTheRlsCodeAndChangesNothing() throws Exception {
        String alicesTodo = scalar("SELECT id::text FROM todos WHERE list_id = ?::uuid ORDER BY description LIMIT 1", ALICE_LIST);
        String before = scalar("SELECT description FROM todos WHERE id = ?::uuid", alicesTodo);
        String newId = UUID.randomUUID().toString();
        JsonNode outcomes = ok(app.upload("bob", body("c-rls",
                tx(1, op("PATCH", "todos", alicesTodo, Map.of("description", "hacked"))),
                tx(2, op("DELETE", "todos", alicesTodo, null)),
                tx(3, op("PUT", "todos", newId, Map.of("list_id", ALICE_LIST, "description", "planted"))),
                tx(4, op("PUT", "lists", ALICE_LIST, Map.of("name", "mine now", "owner_id", "bob"))),
                tx(5, op("PUT", "lists", UUID.randomUUID().toString(), Map.of("name", "as alice", "owner_id", "alice"))))));
        for (JsonNode o : outcomes.path("transactions")) {
            assertThat(o.path("status").asText()).as(o.toString()).isEqualTo("rejected");
            assertThat(o.path("code").asText()).as(o.toString()).isEqualTo("SYNC_U2003");
            assertThat(o.path("message").asText()).as(o.toString()).contains("bob");
        }
        assertThat(outcomes.path("transactions")).hasSize(5);
        assertThat(scalar("SELECT description FROM todos WHERE id = ?::uuid", alicesTodo)).isEqualTo(before);
        assertThat(count("SELECT count(*) FROM todos WHERE id = ?::uuid", newId)).isZero();
        assertThat(scalar("SELECT owner_id || ':' || name FROM lists WHERE id = ?::uuid", ALICE_LIST))
                .isEqualTo("alice:Alice's work");
    }

    @Test
    void ownerCreatesAListAndBecomesItsMember() throws Exception {
        String list = UUID.randomUUID().toString();
        assertThat(statuses(ok(app.upload("bob", body("c-list",
                tx(7, op("PUT", "lists", list, Map.of("name", "Bob's new list", "owner_id", "bob")),
                        op("PUT", "todos", UUID.randomUUID().toString(), Map.of("list_id", list, "description", "first"))))))))
                .containsExactly("applied");
        assertThat(count("SELECT count(*) FROM list_members WHERE list_id = ?::uuid AND user_id = 'bob'", list)).isEqualTo(1);
    }

    /** Read-your-writes for Electric clients: each applied transaction's txid is PostgreSQL's own id for it. */
    @Test
    void eachAppliedTransactionReportsTheXidPostgresRecordedForItsRows() throws Exception {
        String note = "xid-" + UUID.randomUUID();
        String other = "xid-other-" + UUID.randomUUID();
        String request = body("c-xid", tx(1, op("PUT", "notes", note, Map.of("body", "v1"))),
                tx(2, op("PATCH", "notes", note, Map.of("body", "v2")), op("PUT", "notes", other, Map.of("body", "o"))),
                tx(3, op("PATCH", "notes", "xid-missing-" + UUID.randomUUID(), Map.of("body", "x"))));
        JsonNode outcomes = ok(app.upload("alice", request));
        assertThat(statuses(outcomes)).containsExactly("applied", "applied", "rejected");
        JsonNode first = outcomes.path("transactions").get(0);
        JsonNode second = outcomes.path("transactions").get(1);
        assertThat(first.path("txid").isIntegralNumber()).as(first.toString()).isTrue();
        assertThat(second.path("txid").asLong()).isNotEqualTo(first.path("txid").asLong());
        assertThat(outcomes.path("transactions").get(2).has("txid")).as("a rejected transaction has none").isFalse();
        // xmin: the 32-bit id of the transaction that wrote the row version, as pgoutput's BEGIN carries it
        assertThat(scalar("SELECT xmin::text FROM notes WHERE id = ?", note)).isEqualTo(second.path("txid").asText());
        assertThat(scalar("SELECT xmin::text FROM notes WHERE id = ?", other)).isEqualTo(second.path("txid").asText());
        assertThat(outcomes.path("txids")).as("the applied transactions' ids, in order")
                .extracting(JsonNode::asLong).containsExactly(first.path("txid").asLong(), second.path("txid").asLong());
        assertThat(count("SELECT count(*) FROM syncline.applied_uploads WHERE client_id = 'c-xid' AND xmin::text = ?",
                first.path("txid").asText())).as("the first transaction's marker row").isEqualTo(1);

        JsonNode again = ok(app.upload("alice", request));
        assertThat(statuses(again)).containsExactly("duplicate", "duplicate", "rejected");
        assertThat(again.path("txids")).as("nothing applied now").isEmpty();
    }

    @Test
    void aRetriedTransactionIsReportedDuplicateAndChangesNothing() throws Exception {
        String note = "dup-" + UUID.randomUUID();
        String first = body("c-dup", tx(1, op("PUT", "notes", note, Map.of("body", "v1"))));
        assertThat(statuses(ok(app.upload("alice", first)))).containsExactly("applied");
        assertThat(statuses(ok(app.upload("alice", body("c-dup", tx(2, op("PATCH", "notes", note, Map.of("body", "v2"))))))))
                .containsExactly("applied");

        assertThat(statuses(ok(app.upload("alice", first)))).containsExactly("duplicate");
        assertThat(scalar("SELECT body FROM notes WHERE id = ?", note)).as("the retry did not put v1 back").isEqualTo("v2");

        // Another user with the same client id and tx id is not a duplicate: the key includes the user.
        String bobsNote = "dup-bob-" + UUID.randomUUID();
        assertThat(statuses(ok(app.upload("bob", body("c-dup", tx(1, op("PUT", "notes", bobsNote, Map.of("body", "b"))))))))
                .containsExactly("applied");
    }

    @Test
    void aTransactionCommittedBeforeTheServerRestartedIsADuplicateAfterwards() throws Exception {
        String note = "restart-" + UUID.randomUUID();
        String request = body("c-restart", tx(41, op("PUT", "notes", note, Map.of("body", "once"))),
                tx(42, op("PATCH", "notes", note, Map.of("n", 1))));
        // The client sends, the server commits, and the server dies before the client reads the
        // answer: the response is thrown away, the server restarted, and the client sends again.
        app.upload("alice", request);
        app.restart();
        assertThat(statuses(ok(app.upload("alice", request)))).containsExactly("duplicate", "duplicate");
        assertThat(count("SELECT count(*) FROM notes WHERE id = ?", note)).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM syncline.applied_uploads WHERE client_id = ?", "c-restart")).isEqualTo(2);
    }

    @Test
    void aRejectedTransactionInTheMiddleDoesNotBlockTheOnesAfterIt() throws Exception {
        String a = "mid-a-" + UUID.randomUUID();
        String c = "mid-c-" + UUID.randomUUID();
        JsonNode outcomes = ok(app.upload("alice", body("c-mid",
                tx(1, op("PUT", "notes", a, Map.of("body", "a"))),
                tx(2, op("PUT", "notes", "mid-b-" + UUID.randomUUID(), Map.of("body", "b")),
                        op("PUT", "todos", UUID.randomUUID().toString(), Map.of("list_id", BOB_LIST, "description", "x"))),
                tx(3, op("PUT", "notes", c, Map.of("body", "c"))))));
        assertThat(statuses(outcomes)).containsExactly("applied", "rejected", "applied");
        assertThat(outcomes.at("/transactions/1/message").asText()).startsWith("op 1 (PUT todos/");
        assertThat(count("SELECT count(*) FROM notes WHERE id LIKE 'mid-%'")).as("tx 2 rolled back as a whole").isEqualTo(2);
        assertThat(count("SELECT count(*) FROM notes WHERE id IN (?, ?)", a, c)).isEqualTo(2);
    }

    @Test
    void sqlAndJsonMetacharactersInIdsAndValuesAreStoredVerbatim() throws Exception {
        List<String> nasty = List.of("x'); DROP TABLE notes; --", "\"quoted\" \\back\\slash", "$$ dollar $$ $tag$",
                "{\"json\": [1, 2]}", "line\nbreak\ttab", "ünïcødé ✓ 🙂", "?::int8 ? $1 %s", "' OR '1'='1");
        List<ObjectNode> ops = new ArrayList<>();
        for (int i = 0; i < nasty.size(); i++) {
            ops.add(op("PUT", "notes", nasty.get(i) + "#" + i, Map.of("body", nasty.get(i))));
        }
        assertThat(statuses(ok(app.upload("alice", body("c-meta", tx(1, ops.toArray(ObjectNode[]::new)))))))
                .containsExactly("applied");
        for (int i = 0; i < nasty.size(); i++) {
            assertThat(scalar("SELECT body FROM notes WHERE id = ?", nasty.get(i) + "#" + i)).isEqualTo(nasty.get(i));
        }
        assertThat(count("SELECT count(*) FROM notes")).isPositive();
    }

    @Test
    void valuesAreConvertedByPostgresAndTypeConfusionIsRejected() throws Exception {
        String note = "types-" + UUID.randomUUID();
        ObjectNode data = JSON.createObjectNode();
        data.put("body", "typed").put("n", 9007199254740993L).put("score", new java.math.BigDecimal("0.1"))
                .put("at", "2026-01-02T03:04:05.678Z").put("flag", 1);
        data.putObject("tags").putArray("k").add("v").add(2);
        assertThat(statuses(ok(app.upload("alice", body("c-types", tx(1, op("PUT", "notes", note, data)))))))
                .containsExactly("applied");
        assertThat(row("SELECT n::text, score::text, tags::text, at AT TIME ZONE 'UTC', flag, shout FROM notes WHERE id = ?", note))
                .containsExactly("9007199254740993", "0.1", "{\"k\": [\"v\", 2]}", "2026-01-02 03:04:05.678", "t", "TYPED");

        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put("object for int8", Map.of("n", Map.of("a", 1)));
        cases.put("text for int8", Map.of("n", "twelve"));
        cases.put("fraction for int8", Map.of("n", 1.5));
        cases.put("array for boolean", Map.of("flag", List.of(true)));
        cases.put("bad timestamp", Map.of("at", "yesterday-ish"));
        JsonNode outcomes = ok(app.upload("alice", body("c-types2", cases.values().stream().map(d ->
                tx(cases.size() + new ArrayList<>(cases.values()).indexOf(d), op("PATCH", "notes", note, JSON.valueToTree(d))))
                .toArray(ObjectNode[]::new))));
        for (JsonNode o : outcomes.path("transactions")) {
            assertThat(o.path("status").asText()).as(o.toString()).isEqualTo("rejected");
            assertThat(o.path("code").asText()).as(o.toString()).isEqualTo("SYNC_U2006");
        }
        assertThat(outcomes.path("transactions")).hasSize(cases.size());

        JsonNode other = ok(app.upload("alice", body("c-types3",
                tx(1, op("PATCH", "notes", note, Map.of("n", -1))),
                tx(2, op("PATCH", "notes", note, Map.of("shout", "x"))),
                tx(3, op("PATCH", "notes", note, Map.of("no_such_column", "x"))),
                tx(4, op("PUT", "no_such_table", "x", Map.of("a", 1))),
                tx(5, op("PATCH", "notes", "never-existed", Map.of("body", "x"))),
                tx(6, op("DELETE", "notes", "never-existed", null)))));
        assertThat(codes(other)).containsExactly("SYNC_U2005", "SYNC_U2002", "SYNC_U2002", "SYNC_U2001", "SYNC_U2004", "");
        assertThat(statuses(other)).endsWith("applied");
        assertThat(other.at("/transactions/2/message").asText()).contains("no_such_column").contains("does not exist in `notes`");
        assertThat(other.at("/transactions/3/message").asText()).contains("`no_such_table` is not a writable table");
        assertThat(scalar("SELECT n::text FROM notes WHERE id = ?", note)).isEqualTo("9007199254740993");
    }

    @Test
    void arrayColumnsTakeTheJsonArraysClientsHoldAndRaggedOnesAreATypeError() throws Exception {
        String note = "arrays-" + UUID.randomUUID();
        ObjectNode data = JSON.createObjectNode();
        // What a stock SDK uploads: array columns reach clients as JSON text, and go back as such.
        data.put("labels", "[\"a\", \"b,c\", null, \"NULL\", \"q\\\"{}\"]");
        data.putArray("grid").add(JSON.createArrayNode().add(1).add(2)).add(JSON.createArrayNode().add(3).add(4));
        assertThat(statuses(ok(app.upload("alice", body("c-arrays", tx(1, op("PUT", "notes", note, data)))))))
                .containsExactly("applied");
        assertThat(row("SELECT labels::text, array_length(labels, 1)::text, labels[3] IS NULL, labels[5], grid::text"
                + " FROM notes WHERE id = ?", note))
                .containsExactly("{a,\"b,c\",NULL,\"NULL\",\"q\\\"{}\"}", "5", "t", "q\"{}", "{{1,2},{3,4}}");

        JsonNode outcomes = ok(app.upload("alice", body("c-arrays2",
                tx(1, op("PATCH", "notes", note, Map.of("grid", List.of(List.of(1), List.of(2, 3))))),
                tx(2, op("PATCH", "notes", note, Map.of("grid", "[\"x\"]"))),
                tx(3, op("PATCH", "notes", note, Map.of("labels", "{pg,literal}"))))));
        assertThat(statuses(outcomes)).containsExactly("rejected", "rejected", "applied");
        assertThat(codes(outcomes)).startsWith("SYNC_U2006", "SYNC_U2006");
        assertThat(row("SELECT labels::text, grid::text FROM notes WHERE id = ?", note))
                .containsExactly("{pg,literal}", "{{1,2},{3,4}}");
    }

    @Test
    void tablesAndColumnsRenamedByTheSyncRulesAreWrittenUnderTheNamesClientsKnow(@TempDir Path own) throws Exception {
        String rules = """
                bucket_definitions:
                  user_notes:
                    parameters: SELECT request.user_id() AS user_id
                    data:
                      - SELECT id, body AS text, upper(body) AS loud, n FROM notes AS memos WHERE owner_id = bucket.user_id
                """;
        try (UploadApp renamed = UploadApp.start(postgres, own, "  enabled: true", rules)) {
            String memo = "memo-" + UUID.randomUUID();
            JsonNode outcomes = ok(renamed.upload("alice", body("c-renamed",
                    tx(1, op("PUT", "memos", memo, Map.of("text", "hello", "n", 3))),
                    tx(2, op("PATCH", "memos", memo, Map.of("loud", "HELLO"))),
                    tx(3, op("PATCH", "memos", memo, Map.of("body", "source name"))),
                    tx(4, op("PATCH", "memos", memo, Map.of("text", "again"))),
                    // A table that only appears under an alias still takes uploads under its own name.
                    tx(5, op("PATCH", "notes", memo, Map.of("n", 4))))));
            assertThat(statuses(outcomes)).containsExactly("applied", "rejected", "rejected", "applied", "applied");
            assertThat(codes(outcomes)).containsExactly("", "SYNC_U2002", "SYNC_U2002", "", "");
            assertThat(outcomes.at("/transactions/1/message").asText()).contains("`loud`").contains("expression");
            assertThat(outcomes.at("/transactions/2/message").asText()).contains("`body`").contains("text");
            assertThat(row(renamed, "SELECT body, n::text, owner_id FROM notes WHERE id = ?", memo))
                    .containsExactly("again", "4", "alice");
        }
    }

    /**
     * Regression: a body over max_body_bytes was refused before it was read, and the connection
     * closed with the rest of it unread, which makes the operating system reset it: a client still
     * sending (as HTTP/1.1 clients without Expect: 100-continue do) got a reset, not the 413 (seen
     * in CI under load, "HTTP/1.1 header parser received no bytes"). A bounded rest is now read first.
     */
    @Test
    void aClientThatSendsAWholeOversizedBodyReadsThe413() throws Exception {
        byte[] body = body("c", tx(1, op("PUT", "notes", "big", Map.of("body", "x".repeat(8_000_000)))))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.net.URI uri = java.net.URI.create(app.endpoint());
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            var out = socket.getOutputStream();
            // Connection: close, so the answer ends with the connection and is read whole.
            out.write(("POST /api/upload HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\n"
                    + "Authorization: Bearer " + app.token("alice") + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(body);   // all of it, then the answer
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 413").contains("SYNC_U1002");
        }
        assertThat(app.get("/probes/liveness").statusCode()).isEqualTo(200);
    }

    @Test
    void malformedAndOversizedRequestsGetClear4xxAndTheServerStaysHealthy() throws Exception {
        Map<String, String[]> cases = new LinkedHashMap<>();
        cases.put("not json", new String[] {"{\"client_id\": ", "400", "SYNC_U1001"});
        cases.put("array body", new String[] {"[]", "400", "SYNC_U1001"});
        cases.put("missing client id", new String[] {"{\"transactions\": []}", "400", "SYNC_U1001"});
        cases.put("tx id text", new String[] {"{\"client_id\":\"c\",\"transactions\":[{\"tx_id\":\"one\",\"ops\":[]}]}",
                "400", "SYNC_U1001"});
        cases.put("unknown op", new String[] {body("c", tx(1, op("UPSERT", "notes", "x", null))), "400", "SYNC_U1001"});
        cases.put("data not object", new String[] {"{\"client_id\":\"c\",\"transactions\":[{\"tx_id\":1,\"ops\":"
                + "[{\"op\":\"PUT\",\"type\":\"notes\",\"id\":\"x\",\"data\":[1]}]}]}", "400", "SYNC_U1001"});
        cases.put("unknown field", new String[] {"{\"client_id\":\"c\",\"transactions\":[],\"sql\":\"DROP\"}", "400", "SYNC_U1001"});
        cases.put("deep nesting", new String[] {"{\"client_id\":\"c\",\"transactions\":[{\"tx_id\":1,\"ops\":[{\"op\":\"PUT\","
                + "\"type\":\"notes\",\"id\":\"x\",\"data\":{\"tags\":" + "[".repeat(50) + "]".repeat(50) + "}}]}]}",
                "400", "SYNC_U1005"});
        ObjectNode[] manyOps = new ObjectNode[21];
        java.util.Arrays.setAll(manyOps, i -> op("DELETE", "notes", "n" + i, null));
        cases.put("too many ops", new String[] {body("c", tx(1, manyOps)), "400", "SYNC_U1004"});
        ObjectNode[] manyTx = new ObjectNode[11];
        java.util.Arrays.setAll(manyTx, i -> tx(i, op("DELETE", "notes", "n", null)));
        cases.put("too many transactions", new String[] {body("c", manyTx), "400", "SYNC_U1003"});
        cases.put("oversized", new String[] {body("c", tx(1, op("PUT", "notes", "big", Map.of("body", "x".repeat(70_000))))),
                "413", "SYNC_U1002"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            HttpResponse<String> response = app.upload("alice", c.getValue()[0]);
            assertThat(response.statusCode()).as(c.getKey() + ": " + response.body()).isEqualTo(Integer.parseInt(c.getValue()[1]));
            JsonNode error = JSON.readTree(response.body()).path("error");
            assertThat(error.path("code").asText()).as(c.getKey()).isEqualTo(c.getValue()[2]);
            assertThat(error.path("description").asText()).as(c.getKey()).isNotBlank();
            assertThat(app.get("/probes/liveness").statusCode()).isEqualTo(200);
        }
        assertThat(count("SELECT count(*) FROM notes WHERE id = 'big'")).isZero();
    }

    @Test
    void aMissingOrForgedTokenGets401() throws Exception {
        String request = body("c-auth", tx(1, op("PUT", "notes", "auth", Map.of("body", "x"))));
        HttpResponse<String> none = app.upload(null, request);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.body()).contains("PSYNC_S2106");
        HttpResponse<String> forged = sendWithHeader("Bearer " + app.token("alice") + "x", request);
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(forged.body()).contains("PSYNC_S2101");
        assertThat(count("SELECT count(*) FROM notes WHERE id = 'auth'")).isZero();
    }

    @Test
    void transientFailuresAreRetriedByTheServerThenReportedRetryableInOrder() throws Exception {
        String flaky = "flaky-" + UUID.randomUUID();
        assertThat(statuses(ok(app.upload("alice", body("c-flaky", tx(1, op("PUT", "notes", flaky, Map.of("body", "flaky"))))))))
                .as("two serialization failures, then the third attempt commits").containsExactly("applied");
        assertThat(scalar("SELECT last_value::text FROM flaky_attempts")).isEqualTo("3");

        String after = "after-deadlock-" + UUID.randomUUID();
        JsonNode outcomes = ok(app.upload("alice", body("c-deadlock",
                tx(1, op("PUT", "notes", "before-deadlock-" + UUID.randomUUID(), Map.of("body", "fine"))),
                tx(2, op("PUT", "notes", "deadlock-" + UUID.randomUUID(), Map.of("body", "deadlocked"))),
                tx(3, op("PUT", "notes", after, Map.of("body", "fine"))))));
        assertThat(statuses(outcomes)).containsExactly("applied", "retryable", "retryable");
        assertThat(codes(outcomes)).containsExactly("", "SYNC_U2008", "SYNC_U2008");
        assertThat(outcomes.at("/transactions/1/message").asText()).contains("attempts");
        assertThat(outcomes.at("/transactions/2/message").asText()).contains("not tried");
        assertThat(count("SELECT count(*) FROM notes WHERE id = ?", after)).as("order kept: tx 3 waits for tx 2").isZero();
    }

    @Test
    void outcomesAreCountedInTheMetrics() throws Exception {
        app.upload("alice", body("c-metrics", tx(1, op("PUT", "nope", "x", Map.of()))));
        String metrics = app.get("/metrics").body();
        assertThat(metrics).containsPattern("syncline_upload_transactions_total\\{status=\"rejected\"} [1-9]");
        assertThat(metrics).contains("syncline_upload_transactions_total{status=\"applied\"}");
    }

    private HttpResponse<String> sendWithHeader(String authorization, String body) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(app.endpoint() + "/api/upload")).header("Authorization", authorization)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static ObjectNode op(String kind, String type, String id, Object data) {
        ObjectNode op = JSON.createObjectNode().put("op_id", 1).put("op", kind).put("type", type).put("id", id);
        if (data != null) {
            op.set("data", JSON.valueToTree(data));
        }
        return op;
    }

    static ObjectNode tx(long txId, ObjectNode... ops) {
        ObjectNode tx = JSON.createObjectNode().put("tx_id", txId);
        ArrayNode list = tx.putArray("ops");
        for (ObjectNode op : ops) {
            list.add(op);
        }
        return tx;
    }

    static String body(String clientId, ObjectNode... transactions) {
        ObjectNode body = JSON.createObjectNode().put("client_id", clientId);
        ArrayNode list = body.putArray("transactions");
        for (ObjectNode tx : transactions) {
            list.add(tx);
        }
        return body.toString();
    }

    private static JsonNode ok(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static List<String> statuses(JsonNode outcomes) {
        List<String> out = new ArrayList<>();
        outcomes.path("transactions").forEach(o -> out.add(o.path("status").asText()));
        return out;
    }

    private static List<String> codes(JsonNode outcomes) {
        List<String> out = new ArrayList<>();
        outcomes.path("transactions").forEach(o -> out.add(o.path("code").asText("")));
        return out;
    }

    private static List<String> row(String sql, Object... parameters) throws Exception {
        return row(app, sql, parameters);
    }

    private static List<String> row(UploadApp on, String sql, Object... parameters) throws Exception {
        try (Connection c = on.db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                ps.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("a row for " + sql).isTrue();
                List<String> out = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    out.add(rs.getString(i));
                }
                return out;
            }
        }
    }

    private static String scalar(String sql, Object... parameters) throws Exception {
        return row(sql, parameters).getFirst();
    }

    private static long count(String sql, Object... parameters) throws Exception {
        return Long.parseLong(scalar(sql, parameters));
    }
}
