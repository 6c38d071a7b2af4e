package dev.syncline.rules.compile;

import dev.syncline.rules.SourceTable;
import dev.syncline.rules.sql.Expr;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The pieces a stream query is taken apart into, shared by {@link StreamQueryCompiler}, {@link StreamConjunctions} and {@link JoinTree}. */
final class StreamParts {

    private StreamParts() {}

    /** A table of a query block; {@code columns} maps a CTE's output names to expressions over its table. */
    record Rel(String ref, SourceTable table, Map<String, Expr> columns, int pos) {}

    record Atom(Expr expr, QuerySource src) {}

    /** Per conjunction: what each table is filtered and bound by, and the request conditions. */
    static final class Conj {
        final Map<Rel, List<Expr>> filters = new IdentityHashMap<>();
        final Map<Rel, List<Binding>> bindings = new IdentityHashMap<>();
        final List<Edge> edges = new ArrayList<>();
        final List<StreamFilter> requestFilters = new ArrayList<>();
        final Set<Rel> visited = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        final Set<Edge> reportedCycles = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    }

    record Binding(Expr rowExpr, boolean rowArray, ValueSource source) {}

    record Edge(Rel a, Expr aExpr, Rel b, Expr bExpr, Atom atom) {}

    static Set<String> tablesOf(Refs refs) {
        Set<String> out = new LinkedHashSet<>();
        for (Expr.Column c : refs.columns) {
            out.add(c.qualifier());
        }
        return out;
    }

    /** Whether e is a condition on request values (and literals) alone. */
    static boolean requestOnly(Expr e) {
        Refs r = Refs.of(e);
        return r.columns.isEmpty() && r.subqueries.isEmpty();
    }

    static Expr and(List<Expr> list) {
        Expr out = null;
        if (list != null) {
            for (Expr e : list) {
                out = out == null ? e : new Expr.Binary(Expr.BinaryOp.AND, out, e, out.pos());
            }
        }
        return out;
    }

}
