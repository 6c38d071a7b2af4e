package dev.syncline.server.shape;

import dev.syncline.rules.eval.Evaluator;
import dev.syncline.rules.eval.Functions;
import dev.syncline.rules.eval.RowScope;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.sql.SqlParser;
import dev.syncline.rules.sql.SqlSyntaxException;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A shape's {@code where} clause, compiled with the sync rules' SQL subset and evaluated on a row's
 * synced values. Pure and immutable.
 *
 * <p>Why so strict: the clause comes from the client, so anything the rules could not express
 * (subqueries, functions outside the rules' list, request functions, comments, several statements)
 * is refused up front with 400 rather than interpreted loosely. Positional parameters {@code $n}
 * are typed by their text, as PostgreSQL would type an untyped literal by its context: a number
 * becomes {@code CAST('n' AS numeric)} (which equals a number column holding it, and a text column
 * holding its digits), {@code true}/{@code false} become TRUE/FALSE (booleans sync as 1 and 0),
 * anything else a string literal.
 */
public final class WhereClause {
    /** The clause that keeps every row. */
    public static final WhereClause ALL = new WhereClause(null, Set.of());

    private static final java.util.regex.Pattern NUMBER =
            java.util.regex.Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private final Expr expr;
    private final Set<String> columns;

    private WhereClause(Expr expr, Set<String> columns) {
        this.expr = expr;
        this.columns = columns;
    }

    /**
     * Compiles {@code where} with {@code params} (param 1 is element 0); null or blank keeps every row.
     *
     * @throws ShapeException 400 with what was found and how to fix it
     */
    public static WhereClause compile(String where, List<String> params) {
        if (where == null || where.isBlank()) {
            return ALL;
        }
        String sql = substituteParams(where, params);
        Expr expr;
        try {
            expr = SqlParser.parseExpression(sql);
        } catch (SqlSyntaxException e) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2002, "`where` is not in the sync rules' SQL subset: "
                    + e.getMessage() + " (at character " + e.offset() + "); " + e.fix());
        }
        Set<String> columns = new java.util.LinkedHashSet<>();
        walk(expr, node -> check(node, columns));
        return new WhereClause(expr, Set.copyOf(columns));
    }

    /** The columns the clause reads. */
    public Set<String> columns() {
        return columns;
    }

    /** Whether the row (synced column → value; missing columns read as NULL) passes. */
    public boolean test(Map<String, SqlValue> row) {
        return expr == null || SqlValues.isTrue(Evaluator.eval(expr, new RowScope(row)));
    }

    private static void check(Expr node, Set<String> columns) {
        switch (node) {
            case Expr.Call c -> {
                if (c.name().contains(".") || !Functions.exists(c.name())) {
                    throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2003, "function " + c.name()
                            + "() is not allowed in `where`; use one of: " + String.join(", ", Functions.names()));
                }
                int[] arity = Functions.arity(c.name());
                if (c.args().size() < arity[0] || c.args().size() > arity[1]) {
                    throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2003, c.name() + "() in `where` takes "
                            + arity[0] + (arity[1] == arity[0] ? "" : ".." + (arity[1] == Integer.MAX_VALUE ? "n" : arity[1]))
                            + " argument(s), not " + c.args().size());
                }
                if (c.args().size() == 1 && (c.name().equals("datetime") || c.name().equals("unixepoch"))
                        && c.args().getFirst() instanceof Expr.Literal lit && lit.value() instanceof SqlValue.Text t
                        && t.value().trim().equalsIgnoreCase("now")) {
                    throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2003, c.name()
                            + "('now') depends on the clock; a shape's rows must not; compare against a constant");
                }
            }
            case Expr.Param p -> throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2003,
                    "`where` cannot read " + p.kind().name().toLowerCase(java.util.Locale.ROOT) + " parameters ("
                            + p.name() + "); it filters the shape's own columns only");
            case Expr.Column c -> columns.add(c.name());
            // The rules' parser reads `IN (SELECT …)` for streams; a shape filters its own rows only.
            case Expr.InSelect in -> throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2003,
                    "`where` cannot contain a subquery; it filters the shape's own columns only");
            default -> {
                // literals and operators of the subset are fine
            }
        }
    }

    private static void walk(Expr e, Consumer<Expr> visit) {
        visit.accept(e);
        switch (e) {
            case Expr.Call c -> c.args().forEach(a -> walk(a, visit));
            case Expr.Unary u -> walk(u.operand(), visit);
            case Expr.Binary b -> {
                walk(b.left(), visit);
                walk(b.right(), visit);
            }
            case Expr.IsNull n -> walk(n.operand(), visit);
            case Expr.InList in -> {
                walk(in.needle(), visit);
                in.items().forEach(i -> walk(i, visit));
            }
            case Expr.InJson in -> {
                walk(in.needle(), visit);
                walk(in.haystack(), visit);
            }
            case Expr.Cast c -> walk(c.operand(), visit);
            case Expr.InSelect in -> walk(in.needle(), visit);
            case Expr.Literal l -> { }
            case Expr.Column c -> { }
            case Expr.Param p -> { }
        }
    }

    /**
     * Replaces {@code $n} outside quotes by its parameter and refuses comments and statement
     * separators, which the rules' lexer would otherwise skip or stop at.
     */
    static String substituteParams(String where, List<String> params) {
        StringBuilder out = new StringBuilder(where.length() + 16);
        int n = where.length();
        for (int i = 0; i < n; i++) {
            char c = where.charAt(i);
            if (c == '\'' || c == '"') {
                int end = i + 1;
                while (true) {
                    if (end >= n) {
                        throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2002, "`where` has an unterminated "
                                + (c == '\'' ? "string" : "quoted name") + " starting at character " + i);
                    }
                    if (where.charAt(end) == c) {
                        if (end + 1 < n && where.charAt(end + 1) == c) {
                            end += 2;
                            continue;
                        }
                        break;
                    }
                    end++;
                }
                out.append(where, i, end + 1);
                i = end;
            } else if ((c == '-' && i + 1 < n && where.charAt(i + 1) == '-')
                    || (c == '/' && i + 1 < n && where.charAt(i + 1) == '*')) {
                throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2004, "`where` contains a comment at character " + i
                        + "; comments are not allowed in a shape's where clause");
            } else if (c == ';') {
                throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2004, "`where` contains ';' at character " + i
                        + "; a where clause is one expression");
            } else if (c == '$' && i + 1 < n && Character.isDigit(where.charAt(i + 1))) {
                int end = i + 1;
                while (end < n && Character.isDigit(where.charAt(end))) {
                    end++;
                }
                int index = Integer.parseInt(where.substring(i + 1, Math.min(end, i + 6)));
                if (index < 1 || index > params.size() || params.get(index - 1) == null) {
                    throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2005, "`where` uses $" + index + " but params["
                            + index + "] is not given; pass it as params[" + index + "]=…");
                }
                String value = params.get(index - 1);
                if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
                    out.append(value); // booleans sync as 1/0, as TRUE/FALSE evaluate in the rules
                } else if (NUMBER.matcher(value.trim()).matches()) {
                    out.append("CAST('").append(value.trim()).append("' AS numeric)");
                } else {
                    out.append('\'').append(value.replace("'", "''")).append('\'');
                }
                i = end - 1;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
