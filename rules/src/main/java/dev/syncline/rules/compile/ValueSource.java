package dev.syncline.rules.compile;

import dev.syncline.rules.LookupKey;
import dev.syncline.rules.ParameterLookup;
import dev.syncline.rules.eval.Evaluator;
import dev.syncline.rules.eval.Scope;
import dev.syncline.rules.eval.SqlOperators;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.sql.Expr;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a stream's bucket parameter (or a lookup's key) gets its values for one subscription: a
 * request expression, the elements of a request JSON array, or the results of a parameter lookup
 * (a subquery or a joined table) whose own keys come from further sources. NULLs are dropped: NULL
 * equals nothing, so it can name no bucket.
 */
public sealed interface ValueSource {

    /** The distinct non-NULL values for this request; {@code lookup} reads the parameter-lookup index. */
    List<SqlValue> values(Scope request, ParameterLookup lookup);

    /** A position-free description, used in plan descriptions and to merge identical buckets. */
    String describe();

    /** {@code row_expr = request_expr}. */
    record Request(Expr expr) implements ValueSource {
        @Override
        public List<SqlValue> values(Scope request, ParameterLookup lookup) {
            SqlValue v = Evaluator.eval(expr, request);
            return v instanceof SqlValue.Null ? List.of() : List.of(v);
        }

        @Override
        public String describe() {
            return Exprs.text(expr);
        }
    }

    /** {@code row_expr IN request_json_array}: one value per array element. */
    record RequestArray(Expr expr) implements ValueSource {
        @Override
        public List<SqlValue> values(Scope request, ParameterLookup lookup) {
            SqlValue v = Evaluator.eval(expr, request);
            List<SqlValue> elements = v instanceof SqlValue.Null ? null : SqlOperators.jsonArrayElements(v);
            return elements == null ? List.of() : distinctNonNull(elements);
        }

        @Override
        public String describe() {
            return "elements of " + Exprs.text(expr);
        }
    }

    /** The {@code result} values of a parameter lookup, under every combination of its key values. */
    record Lookup(StreamLookup lookup) implements ValueSource {
        @Override
        public List<SqlValue> values(Scope request, ParameterLookup index) {
            List<SqlValue> out = new ArrayList<>();
            for (List<SqlValue> key : lookup.keyCombinations(request, index)) {
                for (Map<String, SqlValue> row : index.lookup(new LookupKey(lookup.index().definition(),
                        lookup.index().queryIndex(), key))) {
                    SqlValue v = row.get(StreamLookup.RESULT);
                    if (v != null) {
                        out.add(v);
                    }
                }
            }
            return distinctNonNull(out);
        }

        @Override
        public String describe() {
            return lookup.describe();
        }
    }

    /**
     * Several conditions on the same row expression ({@code list_id = subscription.parameter('list')
     * AND list_id IN (SELECT …)}): the values all of them allow. One bucket parameter, as in PowerSync.
     */
    record Intersection(List<ValueSource> sources) implements ValueSource {
        public Intersection {
            sources = List.copyOf(sources);
        }

        @Override
        public List<SqlValue> values(Scope request, ParameterLookup lookup) {
            List<SqlValue> out = new ArrayList<>(sources.getFirst().values(request, lookup));
            for (int i = 1; i < sources.size() && !out.isEmpty(); i++) {
                List<SqlValue> other = sources.get(i).values(request, lookup);
                out.removeIf(v -> other.stream().noneMatch(o -> SqlOperators.is(v, o)));
            }
            return out;
        }

        @Override
        public String describe() {
            StringBuilder sb = new StringBuilder("both(");
            for (int i = 0; i < sources.size(); i++) {
                sb.append(i == 0 ? "" : " and ").append(sources.get(i).describe());
            }
            return sb.append(')').toString();
        }
    }

    private static List<SqlValue> distinctNonNull(List<SqlValue> values) {
        Set<SqlValue> out = new LinkedHashSet<>();
        for (SqlValue v : values) {
            if (!(v instanceof SqlValue.Null)) {
                out.add(v);
            }
        }
        return List.copyOf(out);
    }
}
