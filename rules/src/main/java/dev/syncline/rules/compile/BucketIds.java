package dev.syncline.rules.compile;

import dev.syncline.rules.value.JsJson;
import dev.syncline.rules.value.SqlValue;
import java.util.List;
import java.util.Map;

/**
 * Bucket ids as PowerSync writes them: the definition name followed by a JSON array of the
 * parameter values in the definition's parameter order ({@code user_lists["l1"]}, {@code global[]}).
 * Numbers print as JavaScript prints them, so INTEGER 1 and REAL 1.0 name the same bucket.
 */
public final class BucketIds {

    private BucketIds() {}

    public static String of(String definition, List<String> parameters, Map<String, SqlValue> values) {
        StringBuilder sb = new StringBuilder(definition.length() + 16 * parameters.size() + 2).append(definition).append('[');
        for (int i = 0; i < parameters.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            SqlValue v = values.get(parameters.get(i));
            JsJson.appendValue(sb, v == null ? SqlValue.nullValue() : v);
        }
        return sb.append(']').toString();
    }
}
