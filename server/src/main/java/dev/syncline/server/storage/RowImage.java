package dev.syncline.server.storage;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.SourceTable;
import dev.syncline.server.source.postgres.TableName;

import java.util.List;

/**
 * The last stored values of a source row, kept so that capture can fill unchanged TOAST columns.
 * Column types are not kept: only the names are needed to find a value again.
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

    public static RowImage of(Row row) {
        return new RowImage(row.table().columnNames(), row.table().primaryKey(), row.values());
    }

    /** A {@link Row} over a synthetic table shape (relation id 0, type OIDs 0). */
    public Row toRow(TableName table) {
        List<SourceTable.SourceColumn> cols = columns.stream().map(c -> new SourceTable.SourceColumn(c, 0)).toList();
        return new Row(new SourceTable(table, 0, cols, primaryKey, 'd'), values);
    }
}
