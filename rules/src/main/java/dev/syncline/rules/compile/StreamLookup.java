package dev.syncline.rules.compile;

import dev.syncline.rules.ParameterLookup;
import dev.syncline.rules.eval.Scope;
import dev.syncline.rules.value.SqlValue;
import java.util.ArrayList;
import java.util.List;

/**
 * A table a stream reads through a subquery or a JOIN, as a parameter lookup: at replication
 * {@code index} turns each row of the table into an entry (key: the row's key expressions, value:
 * {@link #RESULT}); per subscription {@code keySources} give the key values to look up. This is
 * what keeps streams with subqueries incremental — a connection's buckets come from the lookup
 * index, never from scanning tables.
 *
 * @param index the row side, registered like a bucket definition's table parameter query (its
 *     key parts' request expressions are unused: {@code keySources} replace them)
 * @param keySources one source per key part of {@code index}, in the same order
 */
public record StreamLookup(ParameterQuery.Table index, List<ValueSource> keySources) {

    /** The name of the looked-up value in a lookup entry. */
    public static final String RESULT = "result";

    public StreamLookup {
        keySources = List.copyOf(keySources);
        if (keySources.size() != index.keys().size()) {
            throw new IllegalArgumentException("one key source per key part");
        }
    }

    /** Every key to look up: the cartesian product of the key sources' values (none when one has none). */
    List<List<SqlValue>> keyCombinations(Scope request, ParameterLookup lookup) {
        List<List<SqlValue>> result = new ArrayList<>();
        result.add(List.of());
        for (ValueSource source : keySources) {
            List<SqlValue> values = source.values(request, lookup);
            List<List<SqlValue>> next = new ArrayList<>(result.size() * values.size());
            for (List<SqlValue> prefix : result) {
                for (SqlValue v : values) {
                    List<SqlValue> l = new ArrayList<>(prefix);
                    l.add(v);
                    next.add(l);
                }
            }
            result = next;
        }
        return result;
    }

    String describe() {
        StringBuilder sb = new StringBuilder("lookup ").append(index.definition()).append('/').append(index.queryIndex())
                .append(" (").append(Exprs.text(index.outputs().getFirst().expr())).append(" FROM ")
                .append(index.table().qualifiedName());
        if (index.rowFilter() != null) {
            sb.append(" WHERE ").append(Exprs.text(index.rowFilter()));
        }
        for (int i = 0; i < keySources.size(); i++) {
            ParameterQuery.Table.KeyPart k = index.keys().get(i);
            sb.append(i == 0 ? " BY " : ", ").append(Exprs.text(k.rowExpr()))
                    .append(k.mode() == ParameterQuery.Table.KeyMode.ROW_ARRAY ? " CONTAINS " : " = ")
                    .append(keySources.get(i).describe());
        }
        return sb.append(')').toString();
    }
}
