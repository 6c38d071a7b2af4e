package dev.syncline.rules.eval;

import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;
import java.util.Map;

/** A source row; a column the row does not have reads as NULL. Request values are not available. */
public record RowScope(Map<String, SqlValue> row) implements Scope {

    @Override
    public SqlValue column(Expr.Column column) {
        SqlValue v = row.get(column.name());
        return v == null ? SqlValue.nullValue() : v;
    }

    @Override
    public SqlValue param(Expr.Param param) {
        throw new IllegalStateException("row expressions cannot read " + param);
    }

    @Override
    public SqlValue request(String function) {
        throw new IllegalStateException("row expressions cannot call " + function);
    }
}
