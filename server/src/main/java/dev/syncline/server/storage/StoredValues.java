package dev.syncline.server.storage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.syncline.rules.value.SqlValue;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Text encodings of what storage keeps per source row, shared by every backend. Values are JSON
 * with the SQLite type preserved: integers as JSON integers, text as strings, NULL as null, and
 * reals as {@code {"r":"<Double.toString>"}} so that 1.0 stays a real and NaN/Infinity survive.
 * Pure; thread-safe.
 */
public final class StoredValues {
    private static final JsonFactory JSON = new JsonFactory();

    private StoredValues() {}

    public static String encodeValues(List<SqlValue> values) {
        return write(g -> writeValues(g, values));
    }

    public static List<SqlValue> decodeValues(String json) {
        return read(json, StoredValues::readValues);
    }

    public static String encodeImage(RowImage image) {
        return write(g -> {
            g.writeStartArray();
            writeStrings(g, image.columns());
            writeStrings(g, image.primaryKey());
            writeValues(g, image.values());
            g.writeEndArray();
        });
    }

    public static RowImage decodeImage(String json) {
        return read(json, p -> {
            expect(p, JsonToken.START_ARRAY);
            List<String> columns = readStrings(p);
            List<String> key = readStrings(p);
            List<SqlValue> values = readValues(p);
            expect(p, JsonToken.END_ARRAY);
            return new RowImage(columns, key, values);
        });
    }

    private static void writeValues(JsonGenerator g, List<SqlValue> values) throws IOException {
        g.writeStartArray();
        for (SqlValue v : values) {
            switch (v) {
                case SqlValue.Null n -> g.writeNull();
                case SqlValue.Int i -> g.writeNumber(i.value());
                case SqlValue.Text t -> g.writeString(t.value());
                case SqlValue.Real r -> {
                    g.writeStartObject();
                    g.writeStringField("r", Double.toString(r.value()));
                    g.writeEndObject();
                }
            }
        }
        g.writeEndArray();
    }

    private static List<SqlValue> readValues(JsonParser p) throws IOException {
        expect(p, JsonToken.START_ARRAY);
        List<SqlValue> out = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            out.add(switch (t) {
                case VALUE_NULL -> SqlValue.nullValue();
                case VALUE_NUMBER_INT -> SqlValue.of(p.getLongValue());
                case VALUE_STRING -> SqlValue.of(p.getText());
                case START_OBJECT -> {
                    expect(p, JsonToken.FIELD_NAME);
                    expect(p, JsonToken.VALUE_STRING);
                    double d = Double.parseDouble(p.getText());
                    expect(p, JsonToken.END_OBJECT);
                    yield SqlValue.of(d);
                }
                default -> throw new IllegalArgumentException("unexpected " + t + " in stored values");
            });
        }
        return out;
    }

    private static void writeStrings(JsonGenerator g, List<String> strings) throws IOException {
        g.writeStartArray();
        for (String s : strings) {
            g.writeString(s);
        }
        g.writeEndArray();
    }

    private static List<String> readStrings(JsonParser p) throws IOException {
        expect(p, JsonToken.START_ARRAY);
        return readStringsAfterStart(p);
    }

    private static List<String> readStringsAfterStart(JsonParser p) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_STRING) {
                throw new IllegalArgumentException("expected a string, got " + t);
            }
            out.add(p.getText());
        }
        return out;
    }

    private static void expect(JsonParser p, JsonToken token) throws IOException {
        JsonToken t = p.nextToken();
        if (t != token) {
            throw new IllegalArgumentException("expected " + token + ", got " + t);
        }
    }

    private interface Writer { void write(JsonGenerator g) throws IOException; }

    private interface Reader<T> { T read(JsonParser p) throws IOException; }

    private static String write(Writer w) {
        StringWriter out = new StringWriter(64);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            w.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static <T> T read(String json, Reader<T> r) {
        try (JsonParser p = JSON.createParser(json)) {
            return r.read(p);
        } catch (IOException e) {
            throw new StorageException("unreadable stored value: " + e.getMessage(), e);
        }
    }
}
