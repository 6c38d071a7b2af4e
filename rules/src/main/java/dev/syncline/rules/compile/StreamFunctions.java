package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;
import java.util.List;
import java.util.Set;

/**
 * The request functions of Sync Streams ({@code auth.*}, {@code connection.*},
 * {@code subscription.*}) written as the evaluator's request functions: {@code auth.parameter('x')}
 * is {@code request.jwt() ->> 'x'}, {@code subscription.parameters()} the subscription's
 * parameters, and so on. Anything else dotted is refused with the stream spelling as the fix.
 */
final class StreamFunctions {

    private StreamFunctions() {}

    static final Set<String> REQUEST_FUNCTIONS = Set.of("request.user_id", "request.jwt", "request.parameters",
            "request.subscription_parameters");

    static Expr toRequestFunction(Expr.Call c, QuerySource src, Problems problems, Set<String> subscriptionKeys) {
        int dot = c.name().indexOf('.');
        String schema = c.name().substring(0, dot);
        String fn = c.name().substring(dot + 1);
        String base = switch (schema) {
            case "auth" -> "request.jwt";
            case "connection" -> "request.parameters";
            case "subscription" -> "request.subscription_parameters";
            default -> null;
        };
        boolean known = base != null && (fn.equals("parameter") || fn.equals("parameters") || (schema.equals("auth") && fn.equals("user_id")));
        if (!known) {
            problems.error(RuleErrorCode.UNSUPPORTED_FUNCTION, src.at(c.pos()), "unknown function " + c.name() + "() in a stream",
                    schema.equals("request") ? "streams use auth.user_id(), auth.parameter('claim'), connection.parameter('name')"
                            + " and subscription.parameter('name') instead of request.*"
                            : "use auth.user_id(), auth.parameter(s)(), connection.parameter(s)() or subscription.parameter(s)()");
            return new Expr.Literal(SqlValue.nullValue(), c.pos()); // reported; a NULL keeps later checks quiet
        }
        int arity = fn.equals("parameter") ? 1 : 0;
        if (c.args().size() != arity) {
            problems.error(RuleErrorCode.WRONG_ARGUMENT_COUNT, src.at(c.pos()), c.name() + "() takes " + arity + " argument(s), not "
                    + c.args().size(), arity == 1 ? "write " + c.name() + "('name')" : "write " + c.name() + "()");
            return new Expr.Literal(SqlValue.nullValue(), c.pos());
        }
        if (fn.equals("user_id")) {
            return new Expr.Call("request.user_id", List.of(), c.pos());
        }
        Expr whole = new Expr.Call(base, List.of(), c.pos());
        if (arity == 0) {
            return whole;
        }
        Expr key = c.args().getFirst();
        if (schema.equals("subscription") && key instanceof Expr.Literal l && l.value() instanceof SqlValue.Text t) {
            subscriptionKeys.add(t.value());
        }
        return new Expr.Binary(Expr.BinaryOp.JSON_ARROW2, whole, key, c.pos());
    }

}
