package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.values.PgValueMapper;

/** Maps PostgreSQL text values of a table's columns to {@link SqlValue}s; shared by copy and stream. */
public final class RowMapper {
    private final PgValueMapper values;

    public RowMapper(PgValueMapper values) {
        this.values = values;
    }

    public SqlValue map(SourceTable table, int column, String text) {
        if (text == null) {
            return SqlValue.nullValue();
        }
        try {
            return values.map(table.columns().get(column).typeOid(), text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot map column " + table.columns().get(column).name() + " of "
                    + table.name() + ": " + e.getMessage(), e);
        }
    }
}
