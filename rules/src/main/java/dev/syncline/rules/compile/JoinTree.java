package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.compile.StreamParts.Binding;
import dev.syncline.rules.compile.StreamParts.Conj;
import dev.syncline.rules.compile.StreamParts.Edge;
import dev.syncline.rules.compile.StreamParts.Rel;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one conjunction's join edges into a tree rooted at the synced table (or a subquery's
 * table): every neighbour becomes a {@link StreamLookup} feeding one binding of its parent, so the
 * root's bindings are what its rows are partitioned (or looked up) by. Identical lookups of a
 * stream are shared.
 */
final class JoinTree {

    private final String stream;
    private final int edition;
    private final Problems problems;
    private final int[] lookupCounter;
    private final Map<String, StreamLookup> lookupCache;

    JoinTree(String stream, int edition, Problems problems, int[] lookupCounter, Map<String, StreamLookup> lookupCache) {
        this.stream = stream;
        this.edition = edition;
        this.problems = problems;
        this.lookupCounter = lookupCounter;
        this.lookupCache = lookupCache;
    }

    /** Walks the join tree from {@code rel}; every neighbour becomes a lookup that feeds one of rel's bindings. */
    List<Binding> traverse(Rel rel, Edge parent, Conj c) {
        // PowerSync's alpha streams (edition 2) keep one parameter per condition; edition 3 merges them.
        return edition >= 3 ? merged(walk(rel, parent, c)) : walk(rel, parent, c);
    }

    /** Bindings of the same row expression become one, whose values must satisfy all of them. */
    private static List<Binding> merged(List<Binding> bindings) {
        Map<String, List<Binding>> byExpr = new LinkedHashMap<>();
        for (Binding b : bindings) {
            byExpr.computeIfAbsent((b.rowArray() ? "array " : "") + Exprs.text(b.rowExpr()), k -> new ArrayList<>()).add(b);
        }
        List<Binding> out = new ArrayList<>();
        for (List<Binding> same : byExpr.values()) {
            Binding first = same.getFirst();
            out.add(same.size() == 1 || first.rowArray() ? first
                    : new Binding(first.rowExpr(), false, new ValueSource.Intersection(same.stream().map(Binding::source).toList())));
            if (first.rowArray()) {
                out.addAll(same.subList(1, same.size()));
            }
        }
        return out;
    }

    private List<Binding> walk(Rel rel, Edge parent, Conj c) {
        c.visited.add(rel);
        List<Binding> out = new ArrayList<>(c.bindings.getOrDefault(rel, List.of()));
        for (Edge e : c.edges) {
            if (e == parent || (e.a() != rel && e.b() != rel)) {
                continue;
            }
            boolean forward = e.a() == rel;
            Rel other = forward ? e.b() : e.a();
            if (c.visited.contains(other)) {
                if (!c.reportedCycles.add(e)) {
                    continue;
                }
                boolean sameNeighbour = parent != null && (parent.a() == other || parent.b() == other);
                problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, e.atom().src().at(e.atom().expr().pos()),
                        sameNeighbour ? "tables " + rel.ref() + " and " + other.ref() + " are joined on more than one column,"
                                + " which is not supported yet"
                                : "tables " + rel.ref() + " and " + other.ref() + " are connected twice (the joins form a cycle)",
                        sameNeighbour ? "join on one column (for example a single key column), or filter through a subquery"
                                : "connect each table to the others by one equality; move further conditions into a subquery");
                continue;
            }
            List<Binding> keys = traverse(other, e, c);
            StreamLookup lookup = newLookup(other, forward ? e.bExpr() : e.aExpr(), keys, c);
            out.add(new Binding(forward ? e.aExpr() : e.bExpr(), false, new ValueSource.Lookup(lookup)));
        }
        return out;
    }

    /** Tables not connected to the synced table: the rows they need must exist. */
    void existsForUnvisited(Collection<Rel> rels, Conj c) {
        for (Rel r : rels) {
            if (!c.visited.contains(r)) {
                List<Binding> keys = traverse(r, null, c);
                c.requestFilters.add(new StreamFilter.Exists(new ValueSource.Lookup(
                        newLookup(r, new Expr.Literal(new SqlValue.Int(1), r.pos()), keys, c))));
            }
        }
    }

    /** Qualifiers name the same single table in a lookup's expressions, so they do not tell lookups apart. */
    private static Expr unqualified(Expr e) {
        return Exprs.map(e, n -> n instanceof Expr.Column c ? new Expr.Column(null, c.name(), c.pos()) : n);
    }

    StreamLookup newLookup(Rel rel, Expr output, List<Binding> keys, Conj c) {
        List<ParameterQuery.Table.KeyPart> parts = new ArrayList<>();
        List<ValueSource> sources = new ArrayList<>();
        for (Binding k : keys) {
            parts.add(new ParameterQuery.Table.KeyPart(k.rowExpr(), null,
                    k.rowArray() ? ParameterQuery.Table.KeyMode.ROW_ARRAY : ParameterQuery.Table.KeyMode.EQUALS));
            sources.add(k.source());
        }
        Expr rowFilter = StreamParts.and(c.filters.get(rel));
        // The same lookup written twice (two queries using one CTE) is one lookup, so their buckets can merge.
        StringBuilder key = new StringBuilder(rel.table().qualifiedName()).append('|').append(Exprs.text(unqualified(output)))
                .append('|').append(rowFilter == null ? "" : Exprs.text(unqualified(rowFilter)));
        for (int i = 0; i < parts.size(); i++) {
            key.append('|').append(parts.get(i).mode()).append(Exprs.text(unqualified(parts.get(i).rowExpr())))
                    .append('=').append(sources.get(i).describe());
        }
        StreamLookup cached = lookupCache.get(key.toString());
        if (cached != null) {
            return cached;
        }
        ParameterQuery.Table index = new ParameterQuery.Table(stream, lookupCounter[0]++, rel.table(),
                List.of(new ParameterQuery.Output(StreamLookup.RESULT, output)), parts, rowFilter, null);
        StreamLookup lookup = new StreamLookup(index, sources);
        lookupCache.put(key.toString(), lookup);
        return lookup;
    }
}
