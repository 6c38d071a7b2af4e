package dev.syncline.rules.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.syncline.rules.value.JsJson;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON as sync rules see it: parsed with Jackson (big integers kept exact), converted to SQLite
 * values the way PowerSync does (booleans → 1/0, objects and arrays → JSON text), and written
 * back with {@link JsJson} so numbers print as JavaScript prints them.
 */
public final class JsonSupport {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonSupport() {}

    /** Parses JSON text; returns null when the text is not valid JSON. */
    public static JsonNode parse(String text) {
        try {
            JsonNode node = MAPPER.readTree(text);
            return node == null || node.isMissingNode() ? null : node;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** Parses the JSON form of a value: TEXT is parsed, numbers are themselves, NULL is null. */
    public static JsonNode parse(SqlValue v) {
        return switch (v) {
            case SqlValue.Null n -> null;
            case SqlValue.Int i -> JsonNodeFactory.instance.numberNode(i.value());
            case SqlValue.Real r -> JsonNodeFactory.instance.numberNode(r.value());
            case SqlValue.Text t -> parse(t.value());
        };
    }

    /** A JSON value as an SQLite value (PowerSync's jsonValueToSqlite). */
    public static SqlValue toSqlValue(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return SqlValue.nullValue();
        }
        if (node.isTextual()) {
            return new SqlValue.Text(node.textValue());
        }
        if (node.isBoolean()) {
            return SqlValues.bool(node.booleanValue());
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? new SqlValue.Int(node.longValue()) : new SqlValue.Real(node.doubleValue());
        }
        if (node.isNumber()) {
            return new SqlValue.Real(node.doubleValue());
        }
        return new SqlValue.Text(write(node));
    }

    /** Compact JSON text, numbers formatted as JavaScript does. */
    public static String write(JsonNode node) {
        StringBuilder sb = new StringBuilder();
        write(sb, node);
        return sb.toString();
    }

    private static void write(StringBuilder sb, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            sb.append("null");
        } else if (node.isTextual()) {
            JsJson.appendString(sb, node.textValue());
        } else if (node.isBoolean()) {
            sb.append(node.booleanValue());
        } else if (node.isIntegralNumber()) {
            sb.append(node.bigIntegerValue());
        } else if (node.isNumber()) {
            JsJson.appendNumber(sb, node.doubleValue());
        } else if (node.isArray()) {
            sb.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(sb, node.get(i));
            }
            sb.append(']');
        } else {
            sb.append('{');
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!first) {
                    sb.append(',');
                }
                first = false;
                JsJson.appendString(sb, e.getKey());
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        }
    }

    /**
     * Follows a SQLite JSON path ({@code $}, {@code $.a.b}, {@code $."a b"}, {@code $[0]},
     * {@code $[#-1]}); returns null when the path does not match or is malformed.
     */
    public static JsonNode select(JsonNode root, String path) {
        if (path.isEmpty() || path.charAt(0) != '$') {
            return null;
        }
        JsonNode current = root;
        int i = 1;
        int n = path.length();
        while (i < n && current != null) {
            char c = path.charAt(i);
            if (c == '.') {
                i++;
                String key;
                if (i < n && path.charAt(i) == '"') {
                    int end = path.indexOf('"', i + 1);
                    if (end < 0) {
                        return null;
                    }
                    key = path.substring(i + 1, end);
                    i = end + 1;
                } else {
                    int start = i;
                    while (i < n && path.charAt(i) != '.' && path.charAt(i) != '[') {
                        i++;
                    }
                    key = path.substring(start, i);
                }
                current = current.isObject() ? current.get(key) : null;
            } else if (c == '[') {
                int end = path.indexOf(']', i);
                if (end < 0) {
                    return null;
                }
                String idx = path.substring(i + 1, end).trim();
                i = end + 1;
                if (!current.isArray()) {
                    return null;
                }
                int index;
                try {
                    if (idx.startsWith("#")) {
                        String rest = idx.substring(1).trim();
                        index = current.size() - (rest.isEmpty() ? 0 : Integer.parseInt(rest.replace(" ", "").substring(1)));
                        if (!rest.isEmpty() && !rest.startsWith("-")) {
                            return null;
                        }
                    } else {
                        index = Integer.parseInt(idx);
                    }
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    return null;
                }
                current = index >= 0 && index < current.size() ? current.get(index) : null;
            } else {
                return null;
            }
        }
        return current;
    }

    /** The operand of {@code ->}/{@code ->>}: a path when it starts with '$', else a key or an array index. */
    public static JsonNode arrow(JsonNode root, SqlValue selector) {
        return switch (selector) {
            case SqlValue.Null n -> null;
            case SqlValue.Int i -> root.isArray() && i.value() >= 0 && i.value() < root.size()
                    ? root.get((int) i.value()) : null;
            case SqlValue.Real r -> null;
            case SqlValue.Text t -> t.value().startsWith("$") ? select(root, t.value())
                    : root.isObject() ? root.get(t.value()) : null;
        };
    }

    /**
     * The elements of a JSON array as SQLite values, or null when the text is not a JSON array.
     * Streams the tokens instead of building a tree: {@code bucket.p IN json_column} runs for
     * every replicated row.
     */
    public static java.util.List<SqlValue> arrayElements(String text) {
        java.util.List<SqlValue> simple = FlatJsonArray.parse(text);
        if (simple != null) {
            return simple;
        }
        try (com.fasterxml.jackson.core.JsonParser p = MAPPER.getFactory().createParser(text)) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                return null;
            }
            java.util.List<SqlValue> out = new java.util.ArrayList<>();
            com.fasterxml.jackson.core.JsonToken t;
            while ((t = p.nextToken()) != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
                if (t == null) {
                    return null;
                }
                out.add(switch (t) {
                    case VALUE_STRING -> new SqlValue.Text(p.getText());
                    case VALUE_NUMBER_INT -> p.getNumberType() == com.fasterxml.jackson.core.JsonParser.NumberType.BIG_INTEGER
                            ? new SqlValue.Real(p.getDoubleValue()) : new SqlValue.Int(p.getLongValue());
                    case VALUE_NUMBER_FLOAT -> new SqlValue.Real(p.getDoubleValue());
                    case VALUE_TRUE -> SqlValues.TRUE;
                    case VALUE_FALSE -> SqlValues.FALSE;
                    case VALUE_NULL -> SqlValue.nullValue();
                    default -> toSqlValue(p.readValueAsTree());
                });
            }
            return p.nextToken() == null ? out : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    static ArrayNode newArray() {
        return JsonNodeFactory.instance.arrayNode();
    }
}
