package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.eval.Functions;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;
import java.util.Set;

/** Checks that apply to every expression wherever it appears: known functions, argument counts, determinism. */
final class ExpressionChecks {

    private static final Set<String> REQUEST_FUNCTIONS = Set.of("request.user_id", "request.jwt", "request.parameters");

    private ExpressionChecks() {}

    static void check(Expr e, QuerySource src, Problems problems) {
        check(e, src, problems, REQUEST_FUNCTIONS);
    }

    /** As {@link #check(Expr, QuerySource, Problems)} with another set of zero-argument request functions. */
    static void check(Expr e, QuerySource src, Problems problems, Set<String> requestFunctions) {
        if (e == null) {
            return;
        }
        Refs.walk(e, node -> {
            if (node instanceof Expr.Call c) {
                checkCall(c, src, problems, requestFunctions);
            }
        });
    }

    /**
     * Checks column qualifiers: {@code t.col} must name the query's table (or alias). Columns are
     * only valid where {@code allowed} is true; {@code where} describes the place for the message.
     */
    static void checkColumns(Refs refs, String referenceName, boolean allowed, String where, QuerySource src,
            Problems problems) {
        for (Expr.Column c : refs.columns) {
            if (!allowed) {
                problems.error(RuleErrorCode.INVALID_REFERENCE, src.at(c.pos()),
                        "column '" + c.name() + "' cannot be used " + where,
                        "use request.user_id(), request.jwt(), token_parameters.x or add a FROM clause");
            } else if (c.qualifier() != null && !c.qualifier().equals(referenceName)) {
                problems.error(RuleErrorCode.INVALID_REFERENCE, src.at(c.pos()),
                        "unknown table '" + c.qualifier() + "' in '" + c.qualifier() + "." + c.name() + "'",
                        "qualify columns with '" + referenceName + "' or leave the qualifier out");
            }
        }
    }

    private static void checkCall(Expr.Call c, QuerySource src, Problems problems, Set<String> requestFunctions) {
        if (c.name().contains(".")) {
            if (!requestFunctions.contains(c.name())) {
                problems.error(RuleErrorCode.UNSUPPORTED_FUNCTION, src.at(c.pos()), "unknown function " + c.name() + "()",
                        "use request.user_id(), request.jwt() or request.parameters()");
            } else if (!c.args().isEmpty()) {
                problems.error(RuleErrorCode.WRONG_ARGUMENT_COUNT, src.at(c.pos()), c.name() + "() takes no arguments",
                        "write " + c.name() + "()");
            }
            return;
        }
        int[] arity = Functions.arity(c.name());
        if (arity == null) {
            problems.error(RuleErrorCode.UNSUPPORTED_FUNCTION, src.at(c.pos()), "function " + c.name() + "() is not supported",
                    "use one of: " + String.join(", ", Functions.names()));
            return;
        }
        int n = c.args().size();
        if (n < arity[0] || n > arity[1]) {
            String expected = arity[0] == arity[1] ? String.valueOf(arity[0])
                    : arity[1] == Integer.MAX_VALUE ? "at least " + arity[0] : arity[0] + " to " + arity[1];
            problems.error(RuleErrorCode.WRONG_ARGUMENT_COUNT, src.at(c.pos()),
                    c.name() + "() takes " + expected + " argument(s), not " + n, "pass " + expected + " argument(s)");
        }
        if ((c.name().equals("datetime") || c.name().equals("unixepoch")) && !c.args().isEmpty()
                && c.args().getFirst() instanceof Expr.Literal lit && lit.value() instanceof SqlValue.Text t
                && t.value().trim().equalsIgnoreCase("now")) {
            problems.error(RuleErrorCode.NON_DETERMINISTIC, src.at(c.pos()), c.name() + "('now') depends on the clock",
                    "sync rules must give the same result for the same row; compare against a column instead");
        }
    }
}
