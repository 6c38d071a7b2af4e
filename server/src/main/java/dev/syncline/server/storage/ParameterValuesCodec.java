package dev.syncline.server.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.syncline.rules.value.SqlValue;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stores a parameter query's outputs (name → {@link SqlValue}) as JSON in the parameter index and
 * reads them back with their storage class intact: {@code {"list_id":{"t":"l1"},"n":{"i":5}}}.
 * Plain JSON would blur INTEGER 1 and REAL 1.0, which produce different bucket ids.
 */
public final class ParameterValuesCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ParameterValuesCodec() {}

    public static String encode(Map<String, SqlValue> outputs) {
        ObjectNode root = JSON.createObjectNode();
        outputs.forEach((name, value) -> {
            switch (value) {
                case SqlValue.Null n -> root.putNull(name);
                case SqlValue.Int i -> root.putObject(name).put("i", i.value());
                case SqlValue.Real r -> root.putObject(name).put("r", r.value());
                case SqlValue.Text t -> root.putObject(name).put("t", t.value());
            }
        });
        return root.toString();
    }

    public static Map<String, SqlValue> decode(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            Map<String, SqlValue> out = new LinkedHashMap<>();
            root.fields().forEachRemaining(e -> {
                JsonNode v = e.getValue();
                SqlValue value = v.isNull() ? SqlValue.nullValue()
                        : v.has("i") ? SqlValue.of(v.get("i").asLong())
                        : v.has("r") ? SqlValue.of(v.get("r").asDouble())
                        : SqlValue.of(v.path("t").asText());
                out.put(e.getKey(), value);
            });
            return out;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt parameter index entry: " + e.getOriginalMessage(), e);
        }
    }
}
