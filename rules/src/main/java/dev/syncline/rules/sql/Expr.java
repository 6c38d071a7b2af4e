package dev.syncline.rules.sql;

import dev.syncline.rules.value.SqlValue;
import java.util.List;

/**
 * A parsed SQL expression. Every node carries {@code pos}, its character offset in the SQL text,
 * so validation can point at the exact spot in the YAML file.
 */
public sealed interface Expr {

    int pos();

    /** A literal: number, string, NULL, TRUE/FALSE (as 1/0). */
    record Literal(SqlValue value, int pos) implements Expr {}

    /** A column, optionally qualified by a table name or alias ({@code t.col}). */
    record Column(String qualifier, String name, int pos) implements Expr {}

    /** {@code bucket.p}, {@code token_parameters.x} or {@code user_parameters.x}. */
    record Param(ParamKind kind, String name, int pos) implements Expr {}

    /** A function call; request functions are named {@code request.user_id} and so on. */
    record Call(String name, List<Expr> args, int pos) implements Expr {
        public Call {
            args = List.copyOf(args);
        }
    }

    record Unary(UnaryOp op, Expr operand, int pos) implements Expr {}

    record Binary(BinaryOp op, Expr left, Expr right, int pos) implements Expr {}

    /** {@code x IS [NOT] NULL}. */
    record IsNull(Expr operand, boolean negated, int pos) implements Expr {}

    /** {@code x [NOT] IN (a, b, …)}. */
    record InList(Expr needle, List<Expr> items, boolean negated, int pos) implements Expr {
        public InList {
            items = List.copyOf(items);
        }
    }

    /** {@code x [NOT] IN json_array_expr} — PowerSync's extension: the right side is a JSON array. */
    record InJson(Expr needle, Expr haystack, boolean negated, int pos) implements Expr {}

    /**
     * {@code x [NOT] IN (SELECT …)} — a subquery, accepted in Sync Streams queries only; a bare
     * {@code x IN cte_name} is parsed as {@link InJson} and resolved against the stream's CTEs.
     */
    record InSelect(Expr needle, Select query, boolean negated, int pos) implements Expr {}

    /** {@code CAST(x AS type)} and {@code x::type}; type is lower-case. */
    record Cast(Expr operand, String type, int pos) implements Expr {}

    enum ParamKind { BUCKET, TOKEN, USER }

    enum UnaryOp { NOT, NEGATE, PLUS }

    enum BinaryOp {
        AND("AND"), OR("OR"), EQ("="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">="),
        IS("IS"), IS_NOT("IS NOT"), ADD("+"), SUB("-"), MUL("*"), DIV("/"), CONCAT("||"),
        JSON_ARROW("->"), JSON_ARROW2("->>");

        public final String symbol;

        BinaryOp(String symbol) {
            this.symbol = symbol;
        }
    }
}
