package dev.syncline.server.pipeline;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.SourceTable;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.RowImage;
import dev.syncline.server.storage.SourceRowId;
import dev.syncline.server.storage.TableId;

import java.util.List;

/**
 * The edge between the PostgreSQL source and source-neutral storage: converts LSNs, table names
 * and rows to what storage keeps, and back. Pure.
 */
public final class SourceIds {
    private SourceIds() {}

    public static CommitPosition position(Lsn lsn) {
        return lsn == null ? null : new CommitPosition(lsn.value());
    }

    public static Lsn lsn(CommitPosition position) {
        return position == null ? null : new Lsn(position.value());
    }

    public static TableId table(TableName name) {
        return new TableId(name.schema(), name.name());
    }

    public static TableName tableName(TableId table) {
        return new TableName(table.schema(), table.name());
    }

    public static SourceRowId rowId(TableName table, List<SqlValue> key) {
        return new SourceRowId(table(table), key);
    }

    public static RowImage image(Row row) {
        return new RowImage(row.table().columnNames(), row.table().primaryKey(), row.values());
    }

    /** A {@link Row} over a synthetic table shape (relation id 0, type OIDs 0). */
    public static Row row(RowImage image, TableName table) {
        List<SourceTable.SourceColumn> cols = image.columns().stream().map(c -> new SourceTable.SourceColumn(c, 0)).toList();
        return new Row(new SourceTable(table, 0, cols, image.primaryKey(), 'd'), image.values());
    }
}
