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

    /** The same query placing rows into buckets whose ids start with {@code prefix} (versioned bucket ids). */
    public DataQuery withBucketPrefix(String prefix) {
        return new DataQuery(prefix + definition, bucketParameters, table, outputTable, star, outputs, filter);
    }

    /** Appends this row's bucket placements to {@code out}. */
    public void evaluate(Map<String, SqlValue> row, List<BucketRow> out) {
        RowScope scope = new RowScope(row);
        List<Map<String, SqlValue>> matches = filter == null ? List.of(DataFilter.EMPTY) : filter.match(scope);
        if (matches.isEmpty()) {
            return;
        }
        // Written straight to JSON: this runs for every replicated row, and a map per row costs more than the rest.
        StringBuilder json = new StringBuilder(64 + 32 * (star ? row.size() : outputs.size())).append('{');
        SqlValue idValue;
        if (star && shadowsRowColumn(row)) {
            idValue = writeViaMap(row, scope, json);
        } else {
            boolean first = true;
            idValue = null;
            if (star) {
                for (Map.Entry<String, SqlValue> e : row.entrySet()) {
                    first = appendField(json, first, e.getKey(), e.getValue());
                }
                idValue = row.get("id");
            }
            for (Output o : outputs) {
                SqlValue v = Evaluator.eval(o.expr(), scope);
                first = appendField(json, first, o.name(), v);
                if (o.name().equals("id")) {
                    idValue = v;
                }
            }
        }
        String id = idValue == null ? null : SqlValues.toText(idValue);
        if (id == null) {
            return; // a row without an id cannot be addressed on the client
        }
        String data = json.append('}').toString();
        if (matches.size() == 1) {
            out.add(new BucketRow(BucketIds.of(definition, bucketParameters, matches.getFirst()), outputTable, id, data));
            return;
        }
        Set<String> buckets = new LinkedHashSet<>();
        for (Map<String, SqlValue> m : matches) {
            buckets.add(BucketIds.of(definition, bucketParameters, m));
        }
        for (String bucket : buckets) {
            out.add(new BucketRow(bucket, outputTable, id, data));
        }
    }

    private boolean shadowsRowColumn(Map<String, SqlValue> row) {
        for (Output o : outputs) {
            if (row.containsKey(o.name())) {
                return true;
            }
        }
        return false;
    }

    /** Rare path ({@code SELECT *, expr AS existing_column}): the output replaces the column in place. Returns the id. */
    private SqlValue writeViaMap(Map<String, SqlValue> row, RowScope scope, StringBuilder json) {
        Map<String, SqlValue> data = new LinkedHashMap<>(row);
        for (Output o : outputs) {
            data.put(o.name(), Evaluator.eval(o.expr(), scope));
        }
        boolean first = true;
        for (Map.Entry<String, SqlValue> e : data.entrySet()) {
            first = appendField(json, first, e.getKey(), e.getValue());
        }
        return data.get("id");
    }

    private static boolean appendField(StringBuilder json, boolean first, String name, SqlValue value) {
        if (!first) {
            json.append(',');
        }
        JsJson.appendString(json, name);
        json.append(':');
        JsJson.appendValue(json, value);
        return false;
    }
}
