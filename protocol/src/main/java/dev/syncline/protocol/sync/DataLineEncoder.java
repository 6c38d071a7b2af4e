package dev.syncline.protocol.sync;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes {@code data} lines as NDJSON, standard or {@link CompactRows compact}, straight into UTF-8
 * bytes: the bulk of a first sync is these lines, and going through a Jackson generator (and, for
 * compact rows, a Jackson parser created per row to re-read its JSON text) was most of the server's
 * CPU per streamed op (docs/benchmarks.md, P4/P9). The bytes are exactly those of the generator path
 * ({@link SyncLineCodec#writeNdjsonWithGenerator}), which DataLineEncoderTest checks on many rows:
 * a compact row is read by a small scanner of the flat JSON objects storage holds (what the generator
 * path would re-escape is decoded and escaped again the same way), and a row the scanner does not
 * take (nested values, whitespace, a key with escapes) goes through {@link CompactRows}' parser.
 */
final class DataLineEncoder {
    /** Op ids up to here are exact in a JavaScript number. */
    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;
    private static final int BUFFER_BYTES = 8 * 1024;

    private DataLineEncoder() {}

    static void write(SyncLine.Data line, OutputStream target, boolean compact) throws IOException {
        JsonBytes out = new JsonBytes(target, BUFFER_BYTES);
        if (compact) {
            writeCompact(line, out);
        } else {
            writeStandard(line, out);
        }
        out.raw('\n');
        out.drain();
    }

    private static void position(SyncLine.Data line, JsonBytes out) throws IOException {
        out.ascii("{\"bucket\":");
        out.string(line.bucket());
        out.ascii(",\"after\":");
        out.unsignedString(line.after());
        out.ascii(",\"next_after\":");
        out.unsignedString(line.nextAfter());
        out.ascii(",\"has_more\":");
        out.bool(line.hasMore());
    }

    private static void writeStandard(SyncLine.Data line, JsonBytes out) throws IOException {
        out.ascii("{\"data\":");
        position(line, out);
        out.ascii(",\"data\":[");
        boolean first = true;
        for (OplogEntry op : line.data()) {
            if (!first) {
                out.raw(',');
            }
            first = false;
            out.ascii("{\"op_id\":");
            out.unsignedString(op.opId());
            out.ascii(",\"op\":\"");
            out.ascii(op.op().name());
            out.raw('"');
            if (op.objectType() != null) {
                out.ascii(",\"object_type\":");
                out.string(op.objectType());
            }
            if (op.objectId() != null) {
                out.ascii(",\"object_id\":");
                out.string(op.objectId());
            }
            if (op.subkey() != null) {
                out.ascii(",\"subkey\":");
                out.string(op.subkey());
            }
            if (op.data() != null) {
                out.ascii(",\"data\":");
                out.string(op.data());
            }
            out.ascii(",\"checksum\":");
            out.number(op.checksum());
            out.raw('}');
        }
        out.ascii("]}}");
    }

    private static void writeCompact(SyncLine.Data line, JsonBytes out) throws IOException {
        out.ascii("{\"rows\":");
        position(line, out);
        out.ascii(",\"ops\":[");
        CompactRows.Shapes shapes = new CompactRows.Shapes();
        RowScanner scanner = new RowScanner();
        boolean first = true;
        for (OplogEntry op : line.data()) {
            if (!first) {
                out.raw(',');
            }
            first = false;
            out.raw('[');
            if (op.opId() >= 0 && op.opId() <= MAX_SAFE_INTEGER) {
                out.number(op.opId());
            } else {
                out.unsignedString(op.opId());
            }
            out.raw(',');
            out.number(op.checksum());
            out.raw(',');
            out.number(CompactRows.kind(op.op()));
            if (op.op() == OplogEntry.Op.PUT || op.op() == OplogEntry.Op.REMOVE) {
                out.raw(',');
                stringOrNull(op.objectId(), out);
                out.raw(',');
                int shape;
                String data = op.data();
                if (data != null && !data.isEmpty() && data.charAt(0) == '{') {
                    if (scanner.scan(data)) {
                        scanner.writeValues(out);
                        shape = shapes.of(op.objectType(), scanner);
                    } else {
                        List<String> keys = new ArrayList<>();
                        ByteArrayOutputStream values = new ByteArrayOutputStream(data.length() + 16);
                        try (JsonGenerator g = SyncLineCodec.JSON.createGenerator(values, JsonEncoding.UTF8)) {
                            CompactRows.writeValues(data, keys, g);
                        }
                        out.bytes(values.toByteArray(), 0, values.size());
                        shape = shapes.of(op.objectType(), keys);
                    }
                } else {
                    stringOrNull(data, out);
                    shape = shapes.ofType(op.objectType());
                }
                // No subkey in compact rows (CompactRows).
                if (shape >= 0) {
                    out.raw(',');
                    out.number(shape);
                }
            }
            out.raw(']');
        }
        out.ascii("],\"shapes\":[");
        for (int i = 0; i < shapes.list.size(); i++) {
            CompactRows.Shape s = shapes.list.get(i);
            out.ascii(i == 0 ? "[" : ",[");
            stringOrNull(s.type(), out);
            out.ascii(",[");
            for (int c = 0; c < s.columns().size(); c++) {
                if (c > 0) {
                    out.raw(',');
                }
                out.string(s.columns().get(c));
            }
            out.ascii("]]");
        }
        out.ascii("]}}");
    }

    private static void stringOrNull(String s, JsonBytes out) throws IOException {
        if (s == null) {
            out.ascii("null");
        } else {
            out.string(s);
        }
    }

    /**
     * Splits a flat JSON object text ({@code {"k":v,…}} without whitespace, values strings, numbers,
     * booleans or null; what storage holds for a row) into key and value ranges without allocating.
     * Anything else is refused and left to the parser.
     */
    static final class RowScanner {
        int count;
        /** Per field: key start, key end (inside the quotes), value start, value end, whether the value string has escapes. */
        int[] at = new int[5 * 16];
        /** The row's chars, copied out once (a loop over an array beats String.charAt per char). */
        char[] row = new char[256];

        boolean scan(String data) {
            count = 0;
            int length = data.length();
            if (row.length < length) {
                row = new char[Math.max(length, 2 * row.length)];
            }
            data.getChars(0, length, row, 0);
            char[] s = row;
            int i = 1;
            if (length == 2 && s[1] == '}') {
                return true;
            }
            while (true) {
                if (i >= length || s[i] != '"') {
                    return false;
                }
                int keyStart = ++i;
                while (i < length) {
                    char c = s[i];
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\' || c < 0x20) {
                        return false;
                    }
                    i++;
                }
                if (i >= length) {
                    return false;
                }
                int keyEnd = i++;
                if (i >= length || s[i] != ':') {
                    return false;
                }
                i++;
                if (i >= length) {
                    return false;
                }
                int valueStart = i;
                int escaped = 0;
                char c = s[i];
                if (c == '"') {
                    i++;
                    while (true) {
                        if (i >= length) {
                            return false;
                        }
                        c = s[i];
                        if (c == '"') {
                            break;
                        }
                        if (c == '\\') {
                            escaped = 1;
                            i++;
                        } else if (c < 0x20) {
                            return false;
                        }
                        i++;
                    }
                    i++;
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                    i++;
                    while (i < length && isNumberChar(s[i])) {
                        i++;
                    }
                } else if (data.startsWith("true", i)) {
                    i += 4;
                } else if (data.startsWith("false", i)) {
                    i += 5;
                } else if (data.startsWith("null", i)) {
                    i += 4;
                } else {
                    return false; // nested values are copied by the parser
                }
                add(keyStart, keyEnd, valueStart, i, escaped);
                if (i >= length) {
                    return false;
                }
                c = s[i++];
                if (c == '}') {
                    return i == length;
                }
                if (c != ',') {
                    return false;
                }
            }
        }

        private static boolean isNumberChar(char c) {
            return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
        }

        private void add(int keyStart, int keyEnd, int valueStart, int valueEnd, int escaped) {
            if (5 * count + 5 > at.length) {
                at = java.util.Arrays.copyOf(at, at.length * 2);
            }
            int k = 5 * count++;
            at[k] = keyStart;
            at[k + 1] = keyEnd;
            at[k + 2] = valueStart;
            at[k + 3] = valueEnd;
            at[k + 4] = escaped;
        }

        /** The scanned row's values as a JSON array, as the generator path writes what its parser read. */
        void writeValues(JsonBytes out) throws IOException {
            out.raw('[');
            for (int f = 0; f < count; f++) {
                if (f > 0) {
                    out.raw(',');
                }
                int k = 5 * f;
                int start = at[k + 2];
                int end = at[k + 3];
                if (row[start] != '"') {
                    out.ascii(row, start, end); // a number keeps its text; true, false, null
                } else if (at[k + 4] == 0) {
                    out.string(row, start + 1, end - 1);
                } else {
                    out.string(unescape(row, start + 1, end - 1));
                }
            }
            out.raw(']');
        }

        boolean keyEquals(int field, String column) {
            int start = at[5 * field];
            int length = at[5 * field + 1] - start;
            if (column.length() != length) {
                return false;
            }
            for (int k = 0; k < length; k++) {
                if (row[start + k] != column.charAt(k)) {
                    return false;
                }
            }
            return true;
        }

        String key(int field) {
            return new String(row, at[5 * field], at[5 * field + 1] - at[5 * field]);
        }

        /** A JSON string's content decoded (the scanner saw every escape is followed by a char). */
        private static String unescape(char[] s, int from, int to) throws IOException {
            StringBuilder b = new StringBuilder(to - from);
            for (int i = from; i < to; i++) {
                char c = s[i];
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s[++i];
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 >= to) {
                            throw new IOException("truncated \\u escape in row data");
                        }
                        b.append((char) Integer.parseInt(new String(s, i + 1, 4), 16));
                        i += 4;
                    }
                    default -> throw new IOException("unknown escape in row data: \\" + e);
                }
            }
            return b.toString();
        }
    }
}
