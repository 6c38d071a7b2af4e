package dev.syncline.server.upload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Optional;

/**
 * JSON arrays → PostgreSQL array input text ({@code ["a",null,"b\"c"]} → {@code {"a",NULL,"b\"c"}}).
 * Syncline sends array columns to clients as JSON text (as PowerSync does), so the stock SDKs
 * upload them back the same way; PostgreSQL's array input does not read JSON, so an array column
 * gets this literal instead, still bound as a parameter and cast by PostgreSQL. Nested arrays
 * become nested braces (multi-dimensional arrays; PostgreSQL itself refuses ragged ones), objects
 * become their JSON text (for {@code jsonb[]}). Pure.
 */
final class PgArrayLiteral {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PgArrayLiteral() {}

    /**
     * The array literal for a client value bound to an array column, or empty when the value is
     * not a JSON array (e.g. it already is PostgreSQL array text such as {@code {1,2}} or
     * {@code [0:1]={1,2}}); then it is passed on unchanged and PostgreSQL decides.
     */
    static Optional<String> fromJson(JsonNode value) {
        JsonNode array = value;
        if (value.isTextual()) {
            String text = value.asText().strip();
            if (!text.startsWith("[")) {
                return Optional.empty();
            }
            try {
                array = JSON.readTree(text);
            } catch (JsonProcessingException notJson) {
                return Optional.empty();
            }
        }
        if (array == null || !array.isArray()) {
            return Optional.empty();
        }
        StringBuilder out = new StringBuilder();
        append(array, out);
        return Optional.of(out.toString());
    }

    private static void append(JsonNode node, StringBuilder out) {
        if (node.isArray()) {
            out.append('{');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                append(node.get(i), out);
            }
            out.append('}');
        } else if (node.isNull()) {
            out.append("NULL");
        } else {
            // Every element quoted: then only `"` and `\` need escaping, whatever the text holds
            // (commas, braces, spaces, the word NULL).
            String text = OpPlanner.text(node);
            out.append('"');
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '"' || c == '\\') {
                    out.append('\\');
                }
                out.append(c);
            }
            out.append('"');
        }
    }
}
