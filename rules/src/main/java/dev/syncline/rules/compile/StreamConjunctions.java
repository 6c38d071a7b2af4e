package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.compile.StreamParts.Atom;
import dev.syncline.rules.sql.Expr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Splits a stream query's conditions at OR into conjunctions (variants), each later a bucket
 * family, in the order PowerSync numbers them.
 */
final class StreamConjunctions {

    private static final int MAX_VARIANTS = 100;

    private StreamConjunctions() {}

    /** Whether e is a condition on one table alone or on the request alone (never split by OR). */
    static boolean pure(Expr e) {
        Refs r = Refs.of(e);
        if (!r.subqueries.isEmpty()) {
            return false;
        }
        Set<String> tables = StreamParts.tablesOf(r);
        return tables.isEmpty() || (tables.size() == 1 && !r.request());
    }

    static List<List<Atom>> conjunctions(List<Atom> atoms, QuerySource src, int pos, Problems problems) {
        List<List<Atom>> result = new ArrayList<>();
        result.add(List.of());
        for (Atom a : atoms) {
            result = cross(result, dnf(a));
            if (result.size() > MAX_VARIANTS) {
                problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, src.at(pos), "this query has more than " + MAX_VARIANTS
                        + " OR branches", "split it into several queries or streams");
                return null;
            }
        }
        return result;
    }

    /**
     * Orders (and merges) OR branches the way PowerSync's compiler does, so buckets get the same
     * numbers: branches of several terms first, then single non-trivial terms, then branches that
     * are only a request condition (OR-ed into one), then those that are only a condition on one
     * table (OR-ed into one per table). Conditions on the same table (or on the request) in a branch
     * count as one term.
     */
    static List<List<Atom>> inPowerSyncOrder(List<List<Atom>> conjunctions) {
        if (conjunctions.size() < 2) {
            return conjunctions;
        }
        List<List<Atom>> multi = new ArrayList<>();
        List<List<Atom>> single = new ArrayList<>();
        Map<String, List<List<Atom>>> pureByDependency = new LinkedHashMap<>();
        pureByDependency.put("", new ArrayList<>()); // request-only branches come before table-only ones
        for (List<Atom> conj : conjunctions) {
            Set<String> dependencies = new LinkedHashSet<>();
            int others = 0;
            for (Atom a : conj) {
                if (pure(a.expr())) {
                    dependencies.add(String.join(",", StreamParts.tablesOf(Refs.of(a.expr()))));
                } else {
                    others++;
                }
            }
            int terms = dependencies.size() + others;
            if (terms >= 2) {
                multi.add(conj);
            } else if (others == 1 || terms == 0) {
                single.add(conj);
            } else {
                pureByDependency.computeIfAbsent(dependencies.iterator().next(), k -> new ArrayList<>()).add(conj);
            }
        }
        List<List<Atom>> out = new ArrayList<>(multi);
        out.addAll(single);
        for (List<List<Atom>> group : pureByDependency.values()) {
            if (group.size() == 1) {
                out.add(group.getFirst());
            } else if (group.size() > 1) {
                Expr any = null;
                for (List<Atom> conj : group) {
                    Expr all = StreamParts.and(conj.stream().map(Atom::expr).toList());
                    any = any == null ? all : new Expr.Binary(Expr.BinaryOp.OR, any, all, any.pos());
                }
                out.add(List.of(new Atom(any, group.getFirst().getFirst().src())));
            }
        }
        return out;
    }

    private static List<List<Atom>> dnf(Atom a) {
        Expr e = a.expr();
        if (pure(e)) {
            return List.of(List.of(a));
        }
        if (e instanceof Expr.Binary b && b.op() == Expr.BinaryOp.AND) {
            return cross(dnf(new Atom(b.left(), a.src())), dnf(new Atom(b.right(), a.src())));
        }
        if (e instanceof Expr.Binary b && b.op() == Expr.BinaryOp.OR) {
            List<List<Atom>> out = new ArrayList<>(dnf(new Atom(b.left(), a.src())));
            out.addAll(dnf(new Atom(b.right(), a.src())));
            return out;
        }
        return List.of(List.of(a));
    }

    static List<List<Atom>> cross(List<List<Atom>> left, List<List<Atom>> right) {
        List<List<Atom>> out = new ArrayList<>(left.size() * right.size());
        for (List<Atom> l : left) {
            for (List<Atom> r : right) {
                List<Atom> both = new ArrayList<>(l);
                both.addAll(r);
                out.add(both);
            }
        }
        return out;
    }

}
