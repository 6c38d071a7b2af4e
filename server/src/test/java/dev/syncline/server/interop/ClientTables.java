package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compares the tables a client script printed ({@code {"tables":{t:{rows,types}}}}) with the rows
 * the server served, value by value and in SQLite type, so every interop test checks the same way.
 */
final class ClientTables {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClientTables() {}

    /**
     * @param schema   table → column → PowerSync column type ({@code id} implicit)
     * @param expected table → id → the served row's JSON
     */
    static void assertMatches(JsonNode event, Map<String, Map<String, String>> schema,
                              Map<String, Map<String, String>> expected) throws IOException {
        for (Map.Entry<String, Map<String, String>> table : schema.entrySet()) {
            List<Map<String, String>> want = new ArrayList<>();
            for (String data : expected.getOrDefault(table.getKey(), Map.of()).values()) {
                JsonNode row = JSON.readTree(data);
                Map<String, String> cells = new LinkedHashMap<>();
                cells.put("id", cell("text", row.get("id")));
                table.getValue().forEach((col, type) -> cells.put(col, cell(type, row.path(col))));
                want.add(cells);
            }
            JsonNode printed = event.path("tables").path(table.getKey());
            List<Map<String, String>> got = new ArrayList<>();
            for (int i = 0; i < printed.path("rows").size(); i++) {
                JsonNode row = printed.path("rows").get(i);
                JsonNode types = printed.path("types").get(i);
                Map<String, String> cells = new LinkedHashMap<>();
                cells.put("id", types.path("id").asText() + ":" + canonical(row.path("id")));
                table.getValue().keySet().forEach(col -> cells.put(col, types.path(col).asText() + ":" + canonical(row.path(col))));
                got.add(cells);
            }
            assertThat(got).as("table %s as the client stored it", table.getKey()).isEqualTo(want);
        }
    }

    /** The SQLite type and value a served JSON value should have in a column of the given schema type. */
    private static String cell(String columnType, JsonNode value) {
        return (value.isMissingNode() || value.isNull() ? "null" : columnType) + ":" + canonical(value);
    }

    private static String canonical(JsonNode value) {
        if (value.isMissingNode() || value.isNull()) {
            return "null";
        }
        if (value.isNumber()) {
            return new BigDecimal(value.asText()).stripTrailingZeros().toPlainString();
        }
        return value.asText();
    }

    /** A map in the given key/value order. */
    static Map<String, String> linked(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
