package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row image of a captured table: values in the column order of {@code table}. A key-only
 * image (the old key of a DELETE under REPLICA IDENTITY DEFAULT) holds NULL in non-key columns.
 */
public record Row(SourceTable table, List<SqlValue> values) {
    public Row {
        values = List.copyOf(values);
        if (values.size() != table.columns().size()) {
            throw new IllegalArgumentException("row of " + table.name() + " has " + values.size()
                    + " values for " + table.columns().size() + " columns");
        }
    }

    public SqlValue get(String column) {
        int i = table.columnIndex(column);
        if (i < 0) {
            throw new IllegalArgumentException("no column " + column + " in " + table.name());
        }
        return values.get(i);
    }

    /** The primary-key values, in key order; the row's identity within its table. */
    public List<SqlValue> key() {
        List<SqlValue> key = new ArrayList<>(table.primaryKey().size());
        for (String column : table.primaryKey()) {
            key.add(get(column));
        }
        return key;
    }

    public Map<String, SqlValue> asMap() {
        Map<String, SqlValue> map = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) {
            map.put(table.columns().get(i).name(), values.get(i));
        }
        return map;
    }
}
