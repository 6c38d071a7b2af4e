package dev.syncline.rules.compile;

import dev.syncline.rules.BucketRow;
import dev.syncline.rules.SourceTable;
import dev.syncline.rules.eval.Evaluator;
import dev.syncline.rules.eval.RowScope;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.JsJson;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled data query: which table it reads, how it shapes the output row, and which buckets of
 * its definition a row lands in. Immutable.
 *
 * @param star whether {@code *} is selected (all row columns, in row order, before the named outputs)
 * @param outputs named output columns, in select order
 * @param filter null when there is no WHERE
 */
public record DataQuery(String definition, List<String> bucketParameters, SourceTable table, String outputTable,
        boolean star, List<Output> outputs, DataFilter filter) {

    /** One named output column. */
    public record Output(String name, Expr expr) {}

    public DataQuery {
        bucketParameters = List.copyOf(bucketParameters);
        outputs = List.copyOf(outputs);
    }

    /** Appends this row's bucket placements to {@code out}. */
    public void evaluate(Map<String, SqlValue> row, List<BucketRow> out) {
        RowScope scope = new RowScope(row);
        List<Map<String, SqlValue>> matches = filter == null ? List.of(DataFilter.EMPTY) : filter.match(scope);
        if (matches.isEmpty()) {
            return;
        }
        Map<String, SqlValue> data = new LinkedHashMap<>();
        if (star) {
            data.putAll(row);
        }
        for (Output o : outputs) {
            data.put(o.name(), Evaluator.eval(o.expr(), scope));
        }
        SqlValue idValue = data.get("id");
        String id = idValue == null ? null : SqlValues.toText(idValue);
        if (id == null) {
            return; // a row without an id cannot be addressed on the client
        }
        String json = toJson(data);
        Set<String> buckets = new LinkedHashSet<>();
        for (Map<String, SqlValue> m : matches) {
            buckets.add(BucketIds.of(definition, bucketParameters, m));
        }
        for (String bucket : buckets) {
            out.add(new BucketRow(bucket, outputTable, id, json));
        }
    }

    static String toJson(Map<String, SqlValue> data) {
        StringBuilder sb = new StringBuilder(32 * data.size() + 2).append('{');
        boolean first = true;
        for (Map.Entry<String, SqlValue> e : data.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            JsJson.appendString(sb, e.getKey());
            sb.append(':');
            JsJson.appendValue(sb, e.getValue());
        }
        return sb.append('}').toString();
    }
}
