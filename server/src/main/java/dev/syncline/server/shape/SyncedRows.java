package dev.syncline.server.shape;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.syncline.rules.value.SqlValue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads a synced row's data (the op's flat JSON object) back into values, keeping column order. */
final class SyncedRows {
    private static final JsonFactory JSON = new JsonFactory();

    private SyncedRows() {}

    static Map<String, SqlValue> parse(String dataJson) {
        Map<String, SqlValue> row = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(dataJson)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return row;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                SqlValue v = switch (t) {
                    case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                            ? new SqlValue.Text(p.getText()) : new SqlValue.Int(p.getLongValue());
                    case VALUE_NUMBER_FLOAT -> new SqlValue.Real(p.getDoubleValue());
                    case VALUE_STRING -> new SqlValue.Text(p.getText());
                    case VALUE_TRUE -> new SqlValue.Int(1);
                    case VALUE_FALSE -> new SqlValue.Int(0);
                    case START_OBJECT, START_ARRAY -> {
                        p.skipChildren();
                        yield SqlValue.Null.INSTANCE;
                    }
                    default -> SqlValue.Null.INSTANCE;
                };
                row.put(name, v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("synced row data is not a JSON object: " + e.getMessage(), e);
        }
        return row;
    }
}
