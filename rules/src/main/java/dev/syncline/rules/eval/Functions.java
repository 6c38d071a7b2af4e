package dev.syncline.rules.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The scalar functions sync rules may call, with SQLite's behaviour. Only deterministic
 * functions exist here: a row must always land in the same buckets.
 */
public final class Functions {

    /** Accepted argument counts: {min, max}. */
    private static final Map<String, int[]> ARITY = Map.ofEntries(
            Map.entry("upper", new int[] {1, 1}),
            Map.entry("lower", new int[] {1, 1}),
            Map.entry("substring", new int[] {2, 3}),
            Map.entry("substr", new int[] {2, 3}),
            Map.entry("hex", new int[] {1, 1}),
            Map.entry("length", new int[] {1, 1}),
            Map.entry("base64", new int[] {1, 1}),
            Map.entry("typeof", new int[] {1, 1}),
            Map.entry("ifnull", new int[] {2, 2}),
            Map.entry("iif", new int[] {3, 3}),
            Map.entry("instr", new int[] {2, 2}),
            Map.entry("json_extract", new int[] {2, Integer.MAX_VALUE}),
            Map.entry("json_array_length", new int[] {1, 2}),
            Map.entry("json_valid", new int[] {1, 1}),
            Map.entry("json_keys", new int[] {1, 1}),
            Map.entry("unixepoch", new int[] {1, 3}),
            Map.entry("datetime", new int[] {1, 3}));

    private Functions() {}

    /** True when {@code name} is a supported scalar function. */
    public static boolean exists(String name) {
        return ARITY.containsKey(name);
    }

    /** {min, max} argument counts of a supported function. */
    public static int[] arity(String name) {
        return ARITY.get(name);
    }

    public static List<String> names() {
        return ARITY.keySet().stream().sorted().toList();
    }

    /** Calls a function whose name and arity were checked at compile time. */
    public static SqlValue call(String name, SqlValue[] a) {
        return switch (name) {
            case "upper" -> mapText(a[0], s -> s.toUpperCase(Locale.ROOT));
            case "lower" -> mapText(a[0], s -> s.toLowerCase(Locale.ROOT));
            case "substring", "substr" -> substring(a);
            case "hex" -> hex(a[0]);
            case "length" -> length(a[0]);
            case "base64" -> mapText(a[0], s -> Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)));
            case "typeof" -> new SqlValue.Text(SqlValues.typeName(a[0]));
            case "ifnull" -> a[0] instanceof SqlValue.Null ? a[1] : a[0];
            case "iif" -> SqlValues.isTrue(a[0]) ? a[1] : a[2];
            case "instr" -> instr(a[0], a[1]);
            case "json_extract" -> jsonExtract(a);
            case "json_array_length" -> jsonArrayLength(a);
            case "json_valid" -> a[0] instanceof SqlValue.Null ? a[0]
                    : SqlValues.bool(a[0] instanceof SqlValue.Text t ? JsonSupport.parse(t.value()) != null : true);
            case "json_keys" -> jsonKeys(a[0]);
            case "unixepoch" -> DateTimes.unixepoch(a[0], Arrays.asList(a).subList(1, a.length));
            case "datetime" -> DateTimes.datetime(a[0], Arrays.asList(a).subList(1, a.length));
            default -> throw new IllegalArgumentException("unknown function " + name);
        };
    }

    private static SqlValue mapText(SqlValue v, java.util.function.UnaryOperator<String> f) {
        String s = SqlValues.toText(v);
        return s == null ? SqlValue.nullValue() : new SqlValue.Text(f.apply(s));
    }

    private static SqlValue length(SqlValue v) {
        String s = SqlValues.toText(v);
        return s == null ? SqlValue.nullValue() : new SqlValue.Int(s.codePointCount(0, s.length()));
    }

    private static SqlValue hex(SqlValue v) {
        String s = SqlValues.toText(v);
        if (s == null) {
            return new SqlValue.Text(""); // SQLite: hex(NULL) is the empty string
        }
        return new SqlValue.Text(HexFormat.of().withUpperCase().formatHex(s.getBytes(StandardCharsets.UTF_8)));
    }

    private static SqlValue instr(SqlValue haystack, SqlValue needle) {
        String h = SqlValues.toText(haystack);
        String n = SqlValues.toText(needle);
        if (h == null || n == null) {
            return SqlValue.nullValue();
        }
        int idx = h.indexOf(n);
        return new SqlValue.Int(idx < 0 ? 0 : h.codePointCount(0, idx) + 1);
    }

    /** SQLite's substr(): 1-based, counting characters; negative start counts from the end, negative length goes left. */
    private static SqlValue substring(SqlValue[] a) {
        String s = SqlValues.toText(a[0]);
        if (s == null || a[1] instanceof SqlValue.Null || (a.length > 2 && a[2] instanceof SqlValue.Null)) {
            return SqlValue.nullValue();
        }
        long len = s.codePointCount(0, s.length());
        long rawStart = ((SqlValue.Int) SqlValues.castInteger(a[1])).value();
        if (rawStart == Long.MIN_VALUE && a.length == 2) {
            // SQLite 3.54 (observed, an overflow inside substr): start -2^63 without a length drops the last character.
            long keep = Math.max(0, len - 1);
            return new SqlValue.Text(s.substring(0, s.offsetByCodePoints(0, (int) keep)));
        }
        // Clamp far beyond any string length so the arithmetic below cannot overflow.
        long p1 = clamp(rawStart);
        long p2;
        boolean negP2 = false;
        if (a.length > 2) {
            p2 = clamp(((SqlValue.Int) SqlValues.castInteger(a[2])).value());
            if (p2 < 0) {
                p2 = -p2;
                negP2 = true;
            }
        } else {
            p2 = Integer.MAX_VALUE;
        }
        if (p1 < 0) {
            p1 += len;
            if (p1 < 0) {
                // Starting before the text eats into an explicit length only; without one, all remains.
                if (a.length > 2) {
                    p2 += p1;
                    if (p2 < 0) {
                        p2 = 0;
                    }
                }
                p1 = 0;
            }
        } else if (p1 > 0) {
            p1--;
        } else if (p2 > 0) {
            p2--;
        }
        if (negP2) {
            p1 -= p2;
            if (p1 < 0) {
                p2 += p1;
                p1 = 0;
            }
        }
        if (p1 >= len || p2 <= 0) {
            return new SqlValue.Text("");
        }
        long end = Math.min(len, p1 + p2);
        int from = s.offsetByCodePoints(0, (int) p1);
        return new SqlValue.Text(s.substring(from, s.offsetByCodePoints(from, (int) (end - p1))));
    }

    private static long clamp(long v) {
        return Math.max(-(1L << 40), Math.min(1L << 40, v));
    }

    private static SqlValue jsonExtract(SqlValue[] a) {
        if (a[0] instanceof SqlValue.Null) {
            return a[0];
        }
        for (int i = 1; i < a.length; i++) {
            if (a[i] instanceof SqlValue.Null) {
                return SqlValue.nullValue(); // SQLite: any NULL path makes the result NULL
            }
        }
        JsonNode root = JsonSupport.parse(a[0]);
        if (root == null) {
            return SqlValue.nullValue();
        }
        if (a.length == 2) {
            String path = SqlValues.toText(a[1]);
            return path == null ? SqlValue.nullValue() : JsonSupport.toSqlValue(JsonSupport.select(root, path));
        }
        // Several paths: SQLite returns a JSON array of the selected values.
        ArrayNode out = JsonSupport.newArray();
        for (int i = 1; i < a.length; i++) {
            String path = SqlValues.toText(a[i]);
            JsonNode found = path == null ? null : JsonSupport.select(root, path);
            if (found == null) {
                out.addNull();
            } else {
                out.add(found);
            }
        }
        return new SqlValue.Text(JsonSupport.write(out));
    }

    private static SqlValue jsonArrayLength(SqlValue[] a) {
        if (a[0] instanceof SqlValue.Null) {
            return a[0];
        }
        JsonNode node = JsonSupport.parse(a[0]);
        if (node != null && a.length > 1) {
            String path = SqlValues.toText(a[1]);
            node = path == null ? null : JsonSupport.select(node, path);
        }
        if (node == null) {
            return SqlValue.nullValue();
        }
        return new SqlValue.Int(node.isArray() ? node.size() : 0);
    }

    private static SqlValue jsonKeys(SqlValue v) {
        JsonNode node = JsonSupport.parse(v);
        if (node == null || !node.isObject()) {
            return SqlValue.nullValue();
        }
        ArrayNode keys = JsonSupport.newArray();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        return new SqlValue.Text(JsonSupport.write(keys));
    }
}
