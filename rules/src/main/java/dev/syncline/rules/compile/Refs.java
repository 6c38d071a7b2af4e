package dev.syncline.rules.compile;

import dev.syncline.rules.sql.Expr;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** What an expression refers to: row columns, request values (trusted or client-supplied), bucket parameters. */
final class Refs {

    final List<Expr.Column> columns = new ArrayList<>();
    final List<Expr.Param> bucketParams = new ArrayList<>();
    /** Subqueries ({@code x IN (SELECT …)}); their insides are not walked, they have their own scope. */
    final List<Expr.InSelect> subqueries = new ArrayList<>();
    /** First reference to a request value, for error positions. */
    Expr firstRequest;
    boolean auth;
    boolean client;

    boolean row() {
        return !columns.isEmpty();
    }

    boolean request() {
        return auth || client;
    }

    /** Request functions whose values the client chooses (the streams compiler maps its functions onto these names). */
    static final java.util.Set<String> UNTRUSTED_REQUEST_FUNCTIONS = java.util.Set.of("request.parameters",
            "request.subscription_parameters");

    static Refs of(Expr e) {
        Refs r = new Refs();
        if (e != null) {
            walk(e, node -> {
                switch (node) {
                    case Expr.Column c -> r.columns.add(c);
                    case Expr.Param p -> {
                        switch (p.kind()) {
                            case BUCKET -> r.bucketParams.add(p);
                            case TOKEN -> r.markRequest(p, true);
                            case USER -> r.markRequest(p, false);
                        }
                    }
                    case Expr.Call c when c.name().startsWith("request.") ->
                            r.markRequest(c, !UNTRUSTED_REQUEST_FUNCTIONS.contains(c.name()));
                    case Expr.InSelect s -> r.subqueries.add(s);
                    default -> { }
                }
            });
        }
        return r;
    }

    private void markRequest(Expr e, boolean trusted) {
        if (firstRequest == null) {
            firstRequest = e;
        }
        if (trusted) {
            auth = true;
        } else {
            client = true;
        }
    }

    /** Visits every node, parents first. */
    static void walk(Expr e, Consumer<Expr> visitor) {
        visitor.accept(e);
        switch (e) {
            case Expr.Literal l -> { }
            case Expr.Column c -> { }
            case Expr.Param p -> { }
            case Expr.Call c -> c.args().forEach(a -> walk(a, visitor));
            case Expr.Unary u -> walk(u.operand(), visitor);
            case Expr.Binary b -> {
                walk(b.left(), visitor);
                walk(b.right(), visitor);
            }
            case Expr.IsNull n -> walk(n.operand(), visitor);
            case Expr.InList in -> {
                walk(in.needle(), visitor);
                in.items().forEach(i -> walk(i, visitor));
            }
            case Expr.InJson in -> {
                walk(in.needle(), visitor);
                walk(in.haystack(), visitor);
            }
            case Expr.Cast c -> walk(c.operand(), visitor);
            case Expr.InSelect in -> walk(in.needle(), visitor);
        }
    }
}
