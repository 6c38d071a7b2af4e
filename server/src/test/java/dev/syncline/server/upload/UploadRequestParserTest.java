package dev.syncline.server.upload;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UploadRequestParserTest {
    private final UploadRequestParser parser = new UploadRequestParser(new UploadLimits(4096, 3, 2, 8));

    private UploadRequest parse(String json) {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private void refused(String json, UploadErrorCode code, String messagePart) {
        assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(UploadException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }

    @Test
    void readsThePowerSyncCrudEntriesIncludingTheFieldsOfCrudEntryToJson() {
        UploadRequest r = parse("""
                {"client_id": "db-1", "transactions": [
                  {"tx_id": 7, "ops": [
                    {"op_id": 1, "op": "PUT", "type": "todos", "id": "a", "tx_id": 7, "data": {"n": 1, "s": "x", "o": {"k": [1]}, "z": null}},
                    {"op_id": 2, "op": "DELETE", "type": "todos", "id": "b", "old": {"n": 0}, "metadata": "m"}]},
                  {"tx_id": 8, "ops": [{"op": "PATCH", "type": "lists", "id": "c", "data": {"id": "c", "name": "n"}}]}]}
                """);
        assertThat(r.clientId()).isEqualTo("db-1");
        assertThat(r.transactions()).extracting(ClientTransaction::txId).containsExactly(7L, 8L);
        CrudOp put = r.transactions().getFirst().ops().getFirst();
        assertThat(put.op()).isEqualTo(CrudOp.Kind.PUT);
        assertThat(put.data().keySet()).containsExactly("n", "s", "o", "z");
        assertThat(r.transactions().getFirst().ops().get(1).data()).isEmpty();
        assertThat(r.transactions().get(1).ops().getFirst().data().keySet()).as("data.id equal to id is dropped")
                .containsExactly("name");
        assertThat(r.transactions().get(1).ops().getFirst().opId()).isEqualTo(-1);
    }

    @Test
    void namesThePathOfEachShapeError() {
        refused("nope", UploadErrorCode.SYNC_U1001, "not valid JSON");
        refused("{\"client_id\":\"c\",\"transactions\":[]} trailing", UploadErrorCode.SYNC_U1001, "not valid JSON");
        refused("{\"client_id\":\"c\",\"client_id\":\"d\",\"transactions\":[]}", UploadErrorCode.SYNC_U1001, "client_id");
        refused("{\"client_id\":5,\"transactions\":[]}", UploadErrorCode.SYNC_U1001, "`client_id` must be a non-empty string");
        refused("{\"client_id\":\"c\"}", UploadErrorCode.SYNC_U1001, "`transactions` must be an array");
        refused("{\"client_id\":\"c\",\"transactions\":[{\"tx_id\":-1,\"ops\":[]}]}", UploadErrorCode.SYNC_U1001,
                "`transactions[0].tx_id` must be a non-negative integer");
        refused("{\"client_id\":\"c\",\"transactions\":[{\"tx_id\":1.5,\"ops\":[]}]}", UploadErrorCode.SYNC_U1001, "tx_id");
        refused("{\"client_id\":\"c\",\"transactions\":[{\"tx_id\":1,\"ops\":[]}]}", UploadErrorCode.SYNC_U1001,
                "`transactions[0].ops` must be a non-empty array");
        refused(one("{\"op\":\"put\",\"type\":\"t\",\"id\":\"a\"}"), UploadErrorCode.SYNC_U1001,
                "`transactions[0].ops[0].op` must be PUT, PATCH or DELETE, found \"put\"");
        refused(one("{\"op\":\"PUT\",\"type\":\"t\"}"), UploadErrorCode.SYNC_U1001, "`transactions[0].ops[0].id` must be a non-empty string, it is missing");
        refused(one("{\"op\":\"PUT\",\"type\":\"t\",\"id\":\"a\",\"data\":\"x\"}"), UploadErrorCode.SYNC_U1001, "data` must be an object");
        refused(one("{\"op\":\"PUT\",\"type\":\"t\",\"id\":\"a\",\"data\":{\"id\":\"b\"}}"), UploadErrorCode.SYNC_U1001, "differs");
        refused(one("{\"op\":\"PUT\",\"type\":\"t\",\"id\":\"a\",\"sql\":\"x\"}"), UploadErrorCode.SYNC_U1001,
                "unknown field `transactions[0].ops[0].sql`");
    }

    @Test
    void enforcesTheLimitsWithTheirOwnCodes() {
        String op = "{\"op\":\"DELETE\",\"type\":\"t\",\"id\":\"a\"}";
        refused("{\"client_id\":\"c\",\"transactions\":[" + String.join(",", java.util.Collections.nCopies(4,
                "{\"tx_id\":1,\"ops\":[" + op + "]}")) + "]}", UploadErrorCode.SYNC_U1003, "upload.max_transactions (3)");
        refused(one(op + "," + op + "," + op), UploadErrorCode.SYNC_U1004, "upload.max_ops_per_transaction (2)");
        refused(one("{\"op\":\"PUT\",\"type\":\"t\",\"id\":\"a\",\"data\":{\"j\":" + "[".repeat(10) + "]".repeat(10) + "}}"),
                UploadErrorCode.SYNC_U1005, "upload.max_json_depth (8)");
        refused(one("{\"op\":\"PUT\",\"type\":\"t\",\"id\":\"a\",\"data\":{\"s\":\"" + "x".repeat(5000) + "\"}}"),
                UploadErrorCode.SYNC_U1002, "upload.max_body_bytes");
    }

    private static String one(String ops) {
        return "{\"client_id\":\"c\",\"transactions\":[{\"tx_id\":1,\"ops\":[" + ops + "]}]}";
    }
}
