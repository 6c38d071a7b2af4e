package dev.syncline.rules.eval;

import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;

/**
 * Where an expression's references get their values. The compiler has already checked that an
 * expression only refers to what its scope provides, so implementations never guess.
 */
public interface Scope {

    /** A column of the current row (or of the json_each element). */
    SqlValue column(Expr.Column column);

    /** {@code token_parameters.x} or {@code user_parameters.x}. */
    SqlValue param(Expr.Param param);

    /** {@code request.user_id()}, {@code request.jwt()}, {@code request.parameters()}. */
    SqlValue request(String function);
}
