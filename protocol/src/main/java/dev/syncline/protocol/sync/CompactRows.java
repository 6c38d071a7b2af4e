package dev.syncline.protocol.sync;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Syncline's compact form of a {@code data} line (docs/sync-api.md, "Compact rows"), sent only to
 * clients that ask for {@link SyncLineCodec#COMPACT_NDJSON} — our own SDKs; stock PowerSync clients
 * never do and keep getting PROTOCOL.md §2 exactly. The line carries the same ops as the standard
 * one, but rows are arrays of column values with each table's column list sent once per line,
 * instead of a JSON string of an object per op (no JSON inside JSON, no repeated keys):
 *
 * <pre>{"rows":{"bucket":B,"after":"a","next_after":"n","has_more":h,
 *   "ops":[[op_id, checksum, kind, object_id, values, shape], …],
 *   "shapes":[[object_type, [column, …]], …]}}</pre>
 *
 * {@code op_id} is a JSON number below 2^53 and a decimal string above; {@code kind} is 0 PUT,
 * 1 REMOVE, 2 MOVE, 3 CLEAR; {@code values} holds the row's values in the order of its shape's
 * columns (a PUT whose data is not a JSON object carries it as a string); {@code shape} indexes
 * {@code shapes}, which gives the op's {@code object_type}. Trailing nulls are left out, so a MOVE
 * or CLEAR is {@code [op_id, checksum, kind]}. Values keep their JSON text (numbers are copied as
 * written), so the row a client rebuilds is the standard line's row. The op's {@code subkey} is not
 * sent: Syncline's SDKs key rows by (table, id) and never read it, and this server's subkeys (a
 * 36-character UUID each) were about a fifth of a compact first sync's bytes. A seventh element,
 * if a sender writes one, is still read as the subkey.
 */
public final class CompactRows {
    static final int PUT = 0;
    static final int REMOVE = 1;
    static final int MOVE = 2;
    static final int CLEAR = 3;
    /** Op ids up to here are exact in a JavaScript number. */
    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();
    /** Reads compact lines keeping decimals as written (1.50 stays 1.50 when the row is rebuilt). */
    static final ObjectMapper READER = JsonMapper.builder()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true)).build();

    private CompactRows() {}

    /** Writes {@code line} as the value of the {@code rows} key (the caller wrote the key). */
    static void write(SyncLine.Data line, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("bucket", line.bucket());
        g.writeStringField("after", Long.toUnsignedString(line.after()));
        g.writeStringField("next_after", Long.toUnsignedString(line.nextAfter()));
        g.writeBooleanField("has_more", line.hasMore());
        Shapes shapes = new Shapes();
        List<String> keys = new ArrayList<>();
        g.writeArrayFieldStart("ops");
        for (OplogEntry op : line.data()) {
            g.writeStartArray();
            if (op.opId() >= 0 && op.opId() <= MAX_SAFE_INTEGER) {
                g.writeNumber(op.opId());
            } else {
                g.writeString(Long.toUnsignedString(op.opId()));
            }
            g.writeNumber(op.checksum());
            g.writeNumber(kind(op.op()));
            if (op.op() == OplogEntry.Op.PUT || op.op() == OplogEntry.Op.REMOVE) {
                int shape = -1;
                g.writeString(op.objectId());
                String data = op.data();
                if (data != null && !data.isEmpty() && data.charAt(0) == '{') {
                    keys.clear();
                    writeValues(data, keys, g);
                    shape = shapes.of(op.objectType(), keys);
                } else {
                    if (data == null) {
                        g.writeNull();
                    } else {
                        g.writeString(data);
                    }
                    shape = shapes.ofType(op.objectType());
                }
                // No subkey (see the class comment).
                if (shape >= 0) {
                    g.writeNumber(shape);
                }
            }
            g.writeEndArray();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("shapes");
        for (Shape s : shapes.list) {
            g.writeStartArray();
            g.writeString(s.type);
            g.writeStartArray();
            for (String c : s.columns) {
                g.writeString(c);
            }
            g.writeEndArray();
            g.writeEndArray();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    static int kind(OplogEntry.Op op) {
        return switch (op) {
            case PUT -> PUT;
            case REMOVE -> REMOVE;
            case MOVE -> MOVE;
            case CLEAR -> CLEAR;
        };
    }

    /** Streams the object's values as an array, in field order, and collects its keys. */
    static void writeValues(String data, List<String> keys, JsonGenerator g) throws IOException {
        try (JsonParser p = JSON.createParser(data)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("row data is not a JSON object");
            }
            g.writeStartArray();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                keys.add(p.currentName());
                JsonToken t = p.nextToken();
                switch (t) {
                    case VALUE_STRING -> g.writeString(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                    // The number's own text: int8 and numeric values must survive unchanged.
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> g.writeNumber(p.getText());
                    case VALUE_TRUE -> g.writeBoolean(true);
                    case VALUE_FALSE -> g.writeBoolean(false);
                    case VALUE_NULL -> g.writeNull();
                    default -> g.copyCurrentStructure(p);
                }
            }
            g.writeEndArray();
        }
    }

    record Shape(String type, List<String> columns) {}

    /** The shapes of one line: almost always one per table, so the last one of a type is tried first. */
    static final class Shapes {
        final List<Shape> list = new ArrayList<>(2);
        private int last = -1;

        int of(String type, List<String> keys) {
            if (last >= 0 && matches(list.get(last), type, keys)) {
                return last;
            }
            for (int i = 0; i < list.size(); i++) {
                if (matches(list.get(i), type, keys)) {
                    return last = i;
                }
            }
            list.add(new Shape(type, List.copyOf(keys)));
            return last = list.size() - 1;
        }

        /** The shape of a row {@link DataLineEncoder.RowScanner scanned}, compared without taking its keys out. */
        int of(String type, DataLineEncoder.RowScanner row) {
            if (last >= 0 && matches(list.get(last), type, row)) {
                return last;
            }
            for (int i = 0; i < list.size(); i++) {
                if (matches(list.get(i), type, row)) {
                    return last = i;
                }
            }
            List<String> keys = new ArrayList<>(row.count);
            for (int f = 0; f < row.count; f++) {
                keys.add(row.key(f));
            }
            list.add(new Shape(type, List.copyOf(keys)));
            return last = list.size() - 1;
        }

        int ofType(String type) {
            for (int i = 0; i < list.size(); i++) {
                if (java.util.Objects.equals(list.get(i).type, type)) {
                    return i;
                }
            }
            list.add(new Shape(type, List.of()));
            return list.size() - 1;
        }

        private static boolean matches(Shape s, String type, DataLineEncoder.RowScanner row) {
            if (!java.util.Objects.equals(s.type, type) || s.columns.size() != row.count) {
                return false;
            }
            for (int f = 0; f < row.count; f++) {
                if (!row.keyEquals(f, s.columns.get(f))) {
                    return false;
                }
            }
            return true;
        }

        private static boolean matches(Shape s, String type, List<String> keys) {
            return java.util.Objects.equals(s.type, type) && s.columns.equals(keys);
        }
    }

    /**
     * Reads the value of a {@code rows} key back into the standard {@link SyncLine.Data}, each row
     * rebuilt as the JSON object text of its shape's columns and values (what a client of the
     * compact form reconstructs). Strict like {@link SyncLineParser}.
     */
    public static SyncLine.Data read(JsonNode v) {
        List<Shape> shapes = new ArrayList<>();
        for (JsonNode s : v.path("shapes")) {
            List<String> columns = new ArrayList<>();
            s.path(1).forEach(c -> columns.add(c.asText()));
            shapes.add(new Shape(s.path(0).isTextual() ? s.path(0).asText() : null, columns));
        }
        List<OplogEntry> ops = new ArrayList<>();
        for (JsonNode op : v.path("ops")) {
            JsonNode id = op.path(0);
            long opId = id.isTextual() ? Long.parseUnsignedLong(id.asText()) : id.asLong();
            long checksum = op.path(1).asLong();
            OplogEntry.Op kind = switch (op.path(2).asInt(-1)) {
                case PUT -> OplogEntry.Op.PUT;
                case REMOVE -> OplogEntry.Op.REMOVE;
                case MOVE -> OplogEntry.Op.MOVE;
                case CLEAR -> OplogEntry.Op.CLEAR;
                default -> throw new SyncLineParser.MalformedLineException("unknown compact op kind: " + op);
            };
            JsonNode shapeIndex = op.path(5);
            Shape shape = shapeIndex.isIntegralNumber() ? shapes.get(shapeIndex.asInt()) : null;
            String data = null;
            JsonNode values = op.path(4);
            if (values.isArray()) {
                ObjectNode row = MAPPER.createObjectNode();
                for (int i = 0; i < values.size(); i++) {
                    row.set(shape.columns.get(i), values.get(i));
                }
                data = toJson(row);
            } else if (values.isTextual()) {
                data = values.asText();
            }
            JsonNode objectId = op.path(3);
            JsonNode subkey = op.path(6);
            ops.add(new OplogEntry(opId, kind, shape == null ? null : shape.type,
                    objectId.isTextual() ? objectId.asText() : null, subkey.isTextual() ? subkey.asText() : null, data,
                    checksum));
        }
        return new SyncLine.Data(v.path("bucket").asText(), ops, v.path("has_more").asBoolean(),
                Long.parseUnsignedLong(v.path("after").asText()), Long.parseUnsignedLong(v.path("next_after").asText()));
    }

    private static String toJson(JsonNode node) {
        try (StringWriter w = new StringWriter(); JsonGenerator g = JSON.createGenerator(w)) {
            MAPPER.writeTree(g, node);
            g.flush();
            return w.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
