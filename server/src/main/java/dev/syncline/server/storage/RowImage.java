package dev.syncline.server.storage;

import dev.syncline.rules.value.SqlValue;

import java.util.List;

/**
 * The last stored values of a source row, kept so that capture can fill unchanged TOAST columns.
 * Column types are not kept: only the names are needed to find a value again. The source adapter
 * converts to and from its own row type.
 */
public record RowImage(List<String> columns, List<String> primaryKey, List<SqlValue> values) {
    public RowImage {
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
        values = List.copyOf(values);
        if (columns.size() != values.size()) {
            throw new IllegalArgumentException(columns.size() + " columns but " + values.size() + " values");
        }
    }

    /**
     * A cheap estimate of the heap this image holds, for byte budgets: text counts its length,
     * every value a constant for the object around it (the order of magnitude is what matters).
     */
    public long estimatedBytes() {
        long bytes = 64;
        for (SqlValue v : values) {
            bytes += 32;
            if (v instanceof SqlValue.Text t) {
                bytes += t.value().length();
            }
        }
        return bytes;
    }
}
