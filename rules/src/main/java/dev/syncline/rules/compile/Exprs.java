package dev.syncline.rules.compile;

import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.JsJson;
import java.util.List;
import java.util.function.UnaryOperator;

/** Expression rewriting and a position-free text form (for plan descriptions and for comparing bucket shapes). */
final class Exprs {

    private Exprs() {}

    /** Rebuilds {@code e} bottom-up, replacing every node by {@code f(node)} once its children are rewritten. */
    static Expr map(Expr e, UnaryOperator<Expr> f) {
        if (e == null) {
            return null;
        }
        Expr rebuilt = switch (e) {
            case Expr.Literal l -> l;
            case Expr.Column c -> c;
            case Expr.Param p -> p;
            case Expr.Call c -> new Expr.Call(c.name(), c.args().stream().map(a -> map(a, f)).toList(), c.pos());
            case Expr.Unary u -> new Expr.Unary(u.op(), map(u.operand(), f), u.pos());
            case Expr.Binary b -> new Expr.Binary(b.op(), map(b.left(), f), map(b.right(), f), b.pos());
            case Expr.IsNull n -> new Expr.IsNull(map(n.operand(), f), n.negated(), n.pos());
            case Expr.InList in -> new Expr.InList(map(in.needle(), f), in.items().stream().map(i -> map(i, f)).toList(),
                    in.negated(), in.pos());
            case Expr.InJson in -> new Expr.InJson(map(in.needle(), f), map(in.haystack(), f), in.negated(), in.pos());
            case Expr.InSelect in -> new Expr.InSelect(map(in.needle(), f), in.query(), in.negated(), in.pos());
            case Expr.Cast c -> new Expr.Cast(map(c.operand(), f), c.type(), c.pos());
        };
        return f.apply(rebuilt);
    }

    /** SQL-like text without positions: equal texts mean the same expression. */
    static String text(Expr e) {
        StringBuilder sb = new StringBuilder();
        write(e, sb);
        return sb.toString();
    }

    static String text(List<Expr> list) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            write(list.get(i), sb);
        }
        return sb.toString();
    }

    private static void write(Expr e, StringBuilder sb) {
        switch (e) {
            case Expr.Literal l -> JsJson.appendValue(sb, l.value());
            case Expr.Column c -> sb.append(c.qualifier() == null ? "" : c.qualifier() + ".").append(c.name());
            case Expr.Param p -> sb.append(p.kind().name().toLowerCase(java.util.Locale.ROOT)).append('.').append(p.name());
            case Expr.Call c -> sb.append(c.name()).append('(').append(text(c.args())).append(')');
            case Expr.Unary u -> {
                sb.append(switch (u.op()) {
                    case NOT -> "NOT ";
                    case NEGATE -> "-";
                    case PLUS -> "+";
                });
                write(u.operand(), sb);
            }
            case Expr.Binary b -> {
                sb.append('(');
                write(b.left(), sb);
                sb.append(' ').append(b.op().symbol).append(' ');
                write(b.right(), sb);
                sb.append(')');
            }
            case Expr.IsNull n -> {
                write(n.operand(), sb);
                sb.append(n.negated() ? " IS NOT NULL" : " IS NULL");
            }
            case Expr.InList in -> {
                write(in.needle(), sb);
                sb.append(in.negated() ? " NOT IN (" : " IN (").append(text(in.items())).append(')');
            }
            case Expr.InJson in -> {
                write(in.needle(), sb);
                sb.append(in.negated() ? " NOT IN " : " IN ");
                write(in.haystack(), sb);
            }
            case Expr.InSelect in -> {
                write(in.needle(), sb);
                sb.append(" IN (SELECT …)");
            }
            case Expr.Cast c -> {
                sb.append("CAST(");
                write(c.operand(), sb);
                sb.append(" AS ").append(c.type()).append(')');
            }
        }
    }
}
