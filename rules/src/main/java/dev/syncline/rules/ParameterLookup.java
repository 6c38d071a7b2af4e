package dev.syncline.rules;

import dev.syncline.rules.value.SqlValue;
import java.util.List;
import java.util.Map;

/**
 * Reads the parameter-lookup index (kept by storage from {@link SyncRulesPlan#evaluateParameterRow})
 * at the connection's checkpoint.
 */
@FunctionalInterface
public interface ParameterLookup {

    /** The outputs of every current entry under {@code key}; empty when none. */
    List<Map<String, SqlValue>> lookup(LookupKey key);

    /** A lookup that finds nothing: for rules without table-based parameter queries. */
    static ParameterLookup none() {
        return key -> List.of();
    }
}
