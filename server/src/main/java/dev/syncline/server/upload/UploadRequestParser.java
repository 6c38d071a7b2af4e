package dev.syncline.server.upload;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Upload body bytes → {@link UploadRequest}, or an {@link UploadException} whose message names the
 * offending path ({@code transactions[2].ops[0].op}) and what is expected there. Pure: no I/O.
 */
public final class UploadRequestParser {
    static final int MAX_CLIENT_ID_CHARS = 256;
    static final int MAX_NAME_CHARS = 127;
    static final int MAX_ID_CHARS = 1024;
    private static final Set<String> TOP_KEYS = Set.of("client_id", "transactions");
    private static final Set<String> TX_KEYS = Set.of("tx_id", "ops");
    // CrudEntry.toJSON() of the PowerSync SDKs also carries tx_id, old and metadata; accepted, unused.
    private static final Set<String> OP_KEYS = Set.of("op_id", "op", "type", "id", "data", "tx_id", "old", "metadata");

    private final UploadLimits limits;
    private final ObjectMapper json;

    public UploadRequestParser(UploadLimits limits) {
        this.limits = limits;
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(limits.maxJsonDepth()).build())
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        // Decimal text stays exact: PostgreSQL, not a double, decides what 0.1 means for a numeric column.
        this.json = new ObjectMapper(factory).enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    public UploadRequest parse(byte[] body) {
        if (body.length > limits.maxBodyBytes()) {
            throw new UploadException(UploadErrorCode.SYNC_U1002, "request body of " + body.length
                    + " bytes exceeds upload.max_body_bytes (" + limits.maxBodyBytes() + ") — send fewer transactions per request");
        }
        JsonNode root;
        try (JsonParser parser = json.createParser(body)) {
            root = json.readTree(parser);
        } catch (StreamConstraintsException e) {
            throw new UploadException(UploadErrorCode.SYNC_U1005, "JSON nested deeper than upload.max_json_depth ("
                    + limits.maxJsonDepth() + ")");
        } catch (JsonProcessingException e) {
            throw shape("request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw shape("request body could not be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw shape("request body must be a JSON object {\"client_id\": \"…\", \"transactions\": […]}");
        }
        onlyKeys(root, "", TOP_KEYS);
        String clientId = text(root, "", "client_id", MAX_CLIENT_ID_CHARS);
        JsonNode transactions = root.get("transactions");
        if (transactions == null || !transactions.isArray()) {
            throw shape("`transactions` must be an array of {\"tx_id\": n, \"ops\": […]}");
        }
        if (transactions.size() > limits.maxTransactions()) {
            throw new UploadException(UploadErrorCode.SYNC_U1003, transactions.size()
                    + " transactions exceed upload.max_transactions (" + limits.maxTransactions() + ") — send fewer per request");
        }
        List<ClientTransaction> out = new ArrayList<>(transactions.size());
        for (int t = 0; t < transactions.size(); t++) {
            out.add(transaction(transactions.get(t), "transactions[" + t + "]"));
        }
        return new UploadRequest(clientId, out);
    }

    private ClientTransaction transaction(JsonNode node, String path) {
        if (!node.isObject()) {
            throw shape("`" + path + "` must be an object {\"tx_id\": n, \"ops\": […]}");
        }
        onlyKeys(node, path + ".", TX_KEYS);
        long txId = integer(node, path + ".", "tx_id", true);
        JsonNode ops = node.get("ops");
        if (ops == null || !ops.isArray() || ops.isEmpty()) {
            throw shape("`" + path + ".ops` must be a non-empty array of CRUD entries");
        }
        if (ops.size() > limits.maxOpsPerTransaction()) {
            throw new UploadException(UploadErrorCode.SYNC_U1004, "`" + path + "` has " + ops.size()
                    + " ops, more than upload.max_ops_per_transaction (" + limits.maxOpsPerTransaction() + ")");
        }
        List<CrudOp> out = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            out.add(op(ops.get(i), path + ".ops[" + i + "]"));
        }
        return new ClientTransaction(txId, out);
    }

    private CrudOp op(JsonNode node, String path) {
        if (!node.isObject()) {
            throw shape("`" + path + "` must be an object {\"op\", \"type\", \"id\", \"data\"}");
        }
        onlyKeys(node, path + ".", OP_KEYS);
        long opId = node.has("op_id") && !node.get("op_id").isNull() ? integer(node, path + ".", "op_id", false) : -1;
        String opText = text(node, path + ".", "op", 16);
        CrudOp.Kind kind = switch (opText) {
            case "PUT" -> CrudOp.Kind.PUT;
            case "PATCH" -> CrudOp.Kind.PATCH;
            case "DELETE" -> CrudOp.Kind.DELETE;
            default -> throw shape("`" + path + ".op` must be PUT, PATCH or DELETE, found \"" + opText + "\"");
        };
        String type = text(node, path + ".", "type", MAX_NAME_CHARS);
        String id = text(node, path + ".", "id", MAX_ID_CHARS);
        JsonNode data = node.get("data");
        Map<String, JsonNode> columns = new LinkedHashMap<>();
        if (data != null && !data.isNull() && kind != CrudOp.Kind.DELETE) {
            if (!data.isObject()) {
                throw shape("`" + path + ".data` must be an object of column → value, found " + data.getNodeType().name().toLowerCase());
            }
            for (Map.Entry<String, JsonNode> column : data.properties()) {
                String name = column.getKey();
                if (name.isEmpty() || name.length() > MAX_NAME_CHARS) {
                    throw shape("`" + path + ".data` has a column name of " + name.length() + " characters (1 to "
                            + MAX_NAME_CHARS + " allowed)");
                }
                if (name.equals("id")) {
                    // The row id travels as the op's `id`; a different one in data would be ambiguous.
                    if (!column.getValue().isTextual() || !column.getValue().asText().equals(id)) {
                        throw shape("`" + path + ".data.id` differs from `" + path + ".id` — the row id is the op's `id`");
                    }
                    continue;
                }
                columns.put(name, column.getValue());
            }
        }
        return new CrudOp(opId, kind, type, id, columns);
    }

    private static void onlyKeys(JsonNode node, String prefix, Set<String> allowed) {
        for (String key : (Iterable<String>) node::fieldNames) {
            if (!allowed.contains(key)) {
                throw shape("unknown field `" + prefix + key + "` — expected " + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }

    private static String text(JsonNode parent, String prefix, String key, int maxChars) {
        JsonNode node = parent.get(key);
        if (node == null || !node.isTextual() || node.asText().isEmpty()) {
            throw shape("`" + prefix + key + "` must be a non-empty string" + (node == null ? ", it is missing"
                    : ", found " + node.getNodeType().name().toLowerCase()));
        }
        if (node.asText().length() > maxChars) {
            throw shape("`" + prefix + key + "` is longer than " + maxChars + " characters");
        }
        return node.asText();
    }

    private static long integer(JsonNode parent, String prefix, String key, boolean required) {
        JsonNode node = parent.get(key);
        if (node == null && !required) {
            return -1;
        }
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 0) {
            throw shape("`" + prefix + key + "` must be a non-negative integer" + (node == null ? ", it is missing"
                    : ", found " + (node.isNumber() ? node.asText() : node.getNodeType().name().toLowerCase())));
        }
        return node.asLong();
    }

    private static UploadException shape(String message) {
        return new UploadException(UploadErrorCode.SYNC_U1001, message);
    }
}
