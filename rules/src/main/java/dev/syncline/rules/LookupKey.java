package dev.syncline.rules;

import dev.syncline.rules.value.JsJson;
import dev.syncline.rules.value.SqlValue;
import java.util.List;
import java.util.Objects;

/**
 * The key of a parameter-lookup entry: the bucket definition, the index of its table-based
 * parameter query, and the values the query's WHERE binds. Integral REALs are normalised to
 * INTEGER so {@code 1.0} and {@code 1} find the same entries, as in PowerSync.
 */
public record LookupKey(String definition, int queryIndex, List<SqlValue> values) {

    public LookupKey {
        Objects.requireNonNull(definition, "definition");
        values = values.stream().map(LookupKey::normalise).toList();
    }

    private static SqlValue normalise(SqlValue v) {
        if (v instanceof SqlValue.Real r && r.value() == Math.rint(r.value()) && Math.abs(r.value()) < 0x1p63) {
            return new SqlValue.Int((long) r.value());
        }
        return v;
    }

    /** A stable text form for storage: {@code definition/index["v1",2]}. */
    public String serialize() {
        StringBuilder sb = new StringBuilder(definition).append('/').append(queryIndex).append('[');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            JsJson.appendValue(sb, values.get(i));
        }
        return sb.append(']').toString();
    }
}
