package dev.syncline.server.source.postgres;

import java.util.List;

/**
 * A typed change of a captured table, inside a source transaction. Consumers must treat
 * {@link Insert} as an upsert: after a snapshot resumed with a newer snapshot, the stream may
 * replay an insert of a row the copy already holds.
 */
public sealed interface RowChange {
    TableName tableName();

    record Insert(Row row) implements RowChange {
        public TableName tableName() { return row.table().name(); }
    }

    /**
     * @param oldKey the previous key when the primary key changed (the row under that key is gone),
     *               otherwise null
     * @param row the complete new image; unchanged TOAST values are already filled in
     */
    record Update(Row oldKey, Row row) implements RowChange {
        public TableName tableName() { return row.table().name(); }
    }

    /** @param key the deleted row's key (the full old row under REPLICA IDENTITY FULL) */
    record Delete(Row key) implements RowChange {
        public TableName tableName() { return key.table().name(); }
    }

    /** Every row of these tables is gone. */
    record Truncate(List<TableName> tables) implements RowChange {
        public Truncate {
            tables = List.copyOf(tables);
        }

        public TableName tableName() { return tables.getFirst(); }
    }
}
