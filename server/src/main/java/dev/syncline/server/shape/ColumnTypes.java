package dev.syncline.server.shape;

import dev.syncline.rules.SourceTable;

import java.util.List;

/**
 * Where a shape gets the PostgreSQL types of its table's columns, in table order. An empty list
 * means unknown: the schema is then inferred from the synced values (see {@link ShapeSchema}).
 */
@FunctionalInterface
public interface ColumnTypes {
    /** Knows no table; every schema is inferred. */
    ColumnTypes NONE = table -> List.of();

    List<PgColumn> columns(SourceTable table);
}
