package dev.syncline.rules.eval;

import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;
import java.util.ArrayList;
import java.util.List;

/** Evaluates a checked expression tree against a {@link Scope}. Stateless and thread-safe. */
public final class Evaluator {

    private Evaluator() {}

    public static SqlValue eval(Expr e, Scope scope) {
        return switch (e) {
            case Expr.Literal l -> l.value();
            case Expr.Column c -> scope.column(c);
            case Expr.Param p -> scope.param(p);
            case Expr.Call c -> call(c, scope);
            case Expr.Unary u -> switch (u.op()) {
                case NOT -> SqlOperators.not(eval(u.operand(), scope));
                case NEGATE -> SqlOperators.negate(eval(u.operand(), scope));
                case PLUS -> eval(u.operand(), scope);
            };
            case Expr.Binary b -> binary(b, scope);
            case Expr.IsNull n -> SqlValues.bool((eval(n.operand(), scope) instanceof SqlValue.Null) != n.negated());
            case Expr.InList in -> {
                SqlValue needle = eval(in.needle(), scope);
                boolean sawNull = false;
                boolean found = false;
                for (Expr item : in.items()) {
                    SqlValue[] pair = {Affinity.applyForIn(in.needle(), needle), Affinity.applyForIn(in.needle(), eval(item, scope))};
                    if (pair[0] instanceof SqlValue.Null || pair[1] instanceof SqlValue.Null) {
                        sawNull = true;
                    } else if (SqlOperators.is(pair[0], pair[1])) {
                        found = true;
                        break;
                    }
                }
                SqlValue r = found ? SqlValues.TRUE
                        : in.items().isEmpty() ? SqlValues.FALSE
                        : sawNull ? SqlValue.nullValue() : SqlValues.FALSE;
                yield in.negated() ? SqlOperators.not(r) : r;
            }
            case Expr.InJson in -> {
                SqlValue needle = eval(in.needle(), scope);
                SqlValue haystack = eval(in.haystack(), scope);
                List<SqlValue> items = haystack instanceof SqlValue.Null ? null : SqlOperators.jsonArrayElements(haystack);
                if (items == null) {
                    yield SqlValue.nullValue();
                }
                SqlValue r = SqlOperators.in(needle, items);
                yield in.negated() ? SqlOperators.not(r) : r;
            }
            case Expr.Cast c -> SqlOperators.cast(eval(c.operand(), scope), c.type());
            // The streams compiler turns every subquery into a parameter lookup before anything is evaluated.
            case Expr.InSelect in -> throw new IllegalStateException("subquery left in a compiled expression at " + in.pos());
        };
    }

    private static SqlValue call(Expr.Call c, Scope scope) {
        if (c.name().startsWith("request.")) {
            return scope.request(c.name());
        }
        SqlValue[] args = new SqlValue[c.args().size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = eval(c.args().get(i), scope);
        }
        return Functions.call(c.name(), args);
    }

    private static SqlValue binary(Expr.Binary b, Scope scope) {
        SqlValue l = eval(b.left(), scope);
        // AND/OR still evaluate both sides: expressions have no side effects, and NULL logic needs both.
        SqlValue r = eval(b.right(), scope);
        switch (b.op()) {
            case EQ, NE, LT, LE, GT, GE, IS, IS_NOT -> {
                if (b.left() instanceof Expr.Cast || b.right() instanceof Expr.Cast) { // only casts carry affinity
                    SqlValue[] pair = Affinity.apply(b.left(), l, b.right(), r);
                    l = pair[0];
                    r = pair[1];
                }
            }
            default -> { }
        }
        return switch (b.op()) {
            case AND -> SqlOperators.and(l, r);
            case OR -> SqlOperators.or(l, r);
            case EQ -> SqlOperators.compareOp(b.op(), l, r);
            case NE -> SqlOperators.compareOp(b.op(), l, r);
            case LT -> SqlOperators.compareOp(b.op(), l, r);
            case LE -> SqlOperators.compareOp(b.op(), l, r);
            case GT -> SqlOperators.compareOp(b.op(), l, r);
            case GE -> SqlOperators.compareOp(b.op(), l, r);
            case IS -> SqlValues.bool(SqlOperators.is(l, r));
            case IS_NOT -> SqlValues.bool(!SqlOperators.is(l, r));
            case ADD -> SqlOperators.arithmetic('+', l, r);
            case SUB -> SqlOperators.arithmetic('-', l, r);
            case MUL -> SqlOperators.arithmetic('*', l, r);
            case DIV -> SqlOperators.arithmetic('/', l, r);
            case CONCAT -> SqlOperators.concat(l, r);
            case JSON_ARROW -> SqlOperators.jsonArrow(l, r, false);
            case JSON_ARROW2 -> SqlOperators.jsonArrow(l, r, true);
        };
    }
}
