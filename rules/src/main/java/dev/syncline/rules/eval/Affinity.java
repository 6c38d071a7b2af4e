package dev.syncline.rules.eval;

import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;

/**
 * SQLite's comparison affinity. Row columns here carry no declared type, so only
 * {@code CAST(x AS type)} (and {@code x::type}) gives an operand affinity: before comparing, a
 * NUMERIC side turns a number-looking TEXT on the other side into a number, and a TEXT side
 * turns a number on an affinity-less side into text ({@code CAST(1 AS TEXT) = 1} is true).
 */
final class Affinity {

    private enum Kind { NONE, TEXT, NUMERIC }

    private Affinity() {}

    private static Kind of(Expr e) {
        if (e instanceof Expr.Cast c) {
            return c.type().equals("text") ? Kind.TEXT : Kind.NUMERIC;
        }
        return Kind.NONE;
    }

    /**
     * {@code needle IN (list)}: only the needle's affinity counts (SQLite's comparisonAffinity for
     * a list), applied to the needle and to every element. Returns the converted value.
     */
    static SqlValue applyForIn(Expr needleExpr, SqlValue value) {
        return switch (of(needleExpr)) {
            case NUMERIC -> SqlValues.applyNumericAffinity(value);
            case TEXT -> SqlValues.applyTextAffinity(value);
            case NONE -> value;
        };
    }

    /** The two operand values after applying affinity, as {left, right}. */
    static SqlValue[] apply(Expr leftExpr, SqlValue left, Expr rightExpr, SqlValue right) {
        Kind l = of(leftExpr);
        Kind r = of(rightExpr);
        if (l == Kind.NUMERIC && r != Kind.NUMERIC) {
            right = SqlValues.applyNumericAffinity(right);
        } else if (r == Kind.NUMERIC && l != Kind.NUMERIC) {
            left = SqlValues.applyNumericAffinity(left);
        } else if (l == Kind.TEXT && r == Kind.NONE) {
            right = SqlValues.applyTextAffinity(right);
        } else if (r == Kind.TEXT && l == Kind.NONE) {
            left = SqlValues.applyTextAffinity(left);
        }
        return new SqlValue[] {left, right};
    }
}
