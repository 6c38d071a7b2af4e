package dev.syncline.rules;

import dev.syncline.rules.value.SqlValue;
import java.util.Map;

/**
 * One row of the parameter-lookup index produced by a table-based parameter query: under
 * {@code key}, the bucket-parameter values {@code outputs} (parameter name → value).
 */
public record ParameterEntry(LookupKey key, Map<String, SqlValue> outputs) {

    public ParameterEntry {
        outputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outputs));
    }
}
