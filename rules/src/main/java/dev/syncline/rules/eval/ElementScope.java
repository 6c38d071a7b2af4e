package dev.syncline.rules.eval;

import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;

/** One element of {@code json_each(...)}: columns {@code key} and {@code value}, plus the request. */
public record ElementScope(SqlValue key, SqlValue value, Scope request) implements Scope {

    @Override
    public SqlValue column(Expr.Column column) {
        return column.name().equals("key") ? key : value;
    }

    @Override
    public SqlValue param(Expr.Param param) {
        return request.param(param);
    }

    @Override
    public SqlValue request(String function) {
        return request.request(function);
    }
}
