package dev.syncline.server.source.postgres.values;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.syncline.rules.value.SqlValue;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Function;

/**
 * Writes a parsed array ({@link PgArrayParser}) as a JSON array, each element already mapped to a
 * {@link SqlValue} by the scalar rules. Elements that are JSON themselves (json, jsonb, or a nested
 * array value) are copied in raw, so their numbers keep every digit as written.
 */
final class PgArrayJson {
    private static final JsonFactory JSON = new JsonFactory();

    private PgArrayJson() {}

    static String write(List<Object> items, boolean rawElements, Function<String, SqlValue> mapElement) {
        StringWriter out = new StringWriter();
        try (JsonGenerator gen = JSON.createGenerator(out)) {
            writeArray(gen, items, rawElements, mapElement);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail; keeps the signature honest
        }
        return out.toString();
    }

    private static void writeArray(JsonGenerator gen, List<Object> items, boolean raw,
                                   Function<String, SqlValue> mapElement) throws IOException {
        gen.writeStartArray();
        for (Object item : items) {
            if (item == null) {
                gen.writeNull();
            } else if (item instanceof List<?> nested) {
                @SuppressWarnings("unchecked")
                List<Object> inner = (List<Object>) nested;
                writeArray(gen, inner, raw, mapElement);
            } else {
                writeElement(gen, mapElement.apply((String) item), raw);
            }
        }
        gen.writeEndArray();
    }

    private static void writeElement(JsonGenerator gen, SqlValue value, boolean raw) throws IOException {
        switch (value) {
            case SqlValue.Null n -> gen.writeNull();
            case SqlValue.Int i -> gen.writeNumber(i.value());
            case SqlValue.Real r when Double.isFinite(r.value()) -> gen.writeNumber(r.value());
            case SqlValue.Real r -> gen.writeString(Double.toString(r.value())); // "NaN", "Infinity", "-Infinity"
            case SqlValue.Text t when raw -> gen.writeRawValue(t.value());
            case SqlValue.Text t -> gen.writeString(t.value());
        }
    }
}
