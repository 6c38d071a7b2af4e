package dev.syncline.rules.compile;

import dev.syncline.rules.LookupKey;
import dev.syncline.rules.ParameterEntry;
import dev.syncline.rules.ParameterLookup;
import dev.syncline.rules.SourceTable;
import dev.syncline.rules.eval.ElementScope;
import dev.syncline.rules.eval.Evaluator;
import dev.syncline.rules.eval.JsonSupport;
import dev.syncline.rules.eval.RowScope;
import dev.syncline.rules.eval.Scope;
import dev.syncline.rules.eval.SqlOperators;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled parameter query. Each kind turns a connection's request into rows of bucket-parameter
 * values (parameter name → value); table-based queries also turn source rows into lookup entries.
 */
public sealed interface ParameterQuery {

    /** One output: bucket parameter {@code name} is the value of {@code expr}. */
    record Output(String name, Expr expr) {}

    /** The parameter rows for a request; {@code lookup} serves table-based queries. */
    List<Map<String, SqlValue>> resolve(Scope request, ParameterLookup lookup);

    private static Map<String, SqlValue> evalOutputs(List<Output> outputs, Scope scope) {
        Map<String, SqlValue> m = new LinkedHashMap<>();
        for (Output o : outputs) {
            m.put(o.name(), Evaluator.eval(o.expr(), scope));
        }
        return m;
    }

    /** {@code SELECT request.user_id() AS user_id [WHERE request-condition]}. */
    record Static(List<Output> outputs, Expr where) implements ParameterQuery {
        public Static {
            outputs = List.copyOf(outputs);
        }

        @Override
        public List<Map<String, SqlValue>> resolve(Scope request, ParameterLookup lookup) {
            if (where != null && !SqlValues.isTrue(Evaluator.eval(where, request))) {
                return List.of();
            }
            return List.of(evalOutputs(outputs, request));
        }
    }

    /** {@code SELECT value AS p FROM json_each(request-expr) [WHERE condition]}: one row per array element. */
    record JsonEach(Expr source, List<Output> outputs, Expr where) implements ParameterQuery {
        public JsonEach {
            outputs = List.copyOf(outputs);
        }

        @Override
        public List<Map<String, SqlValue>> resolve(Scope request, ParameterLookup lookup) {
            JsonNode node = JsonSupport.parse(Evaluator.eval(source, request));
            if (node == null || !(node.isArray() || node.isObject())) {
                return List.of();
            }
            List<Map<String, SqlValue>> out = new ArrayList<>();
            if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    add(new ElementScope(new SqlValue.Int(i), JsonSupport.toSqlValue(node.get(i)), request), out);
                }
            } else {
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    add(new ElementScope(new SqlValue.Text(e.getKey()), JsonSupport.toSqlValue(e.getValue()), request), out);
                }
            }
            return out;
        }

        private void add(ElementScope element, List<Map<String, SqlValue>> out) {
            if (where == null || SqlValues.isTrue(Evaluator.eval(where, element))) {
                out.add(evalOutputs(outputs, element));
            }
        }
    }

    /**
     * {@code SELECT cols FROM table WHERE …}: evaluated per source row into the lookup index, and
     * per request into lookup keys.
     *
     * @param keys the WHERE's bindings between row and request, in order; they form the lookup key
     * @param rowFilter conditions on the row alone (null when none)
     * @param requestFilter conditions on the request alone (null when none)
     */
    record Table(String definition, int queryIndex, SourceTable table, List<Output> outputs, List<KeyPart> keys,
            Expr rowFilter, Expr requestFilter) implements ParameterQuery {

        public Table {
            outputs = List.copyOf(outputs);
            keys = List.copyOf(keys);
        }

        /** How one WHERE conjunct binds a row value to a request value. */
        public enum KeyMode {
            /** {@code row_expr = request_expr}. */
            EQUALS,
            /** {@code request_expr IN row_json_array}: one entry per element of the row's array. */
            ROW_ARRAY,
            /** {@code row_expr IN request_json_array}: one lookup per element of the request's array. */
            REQUEST_ARRAY
        }

        /** One binding of the lookup key: the row side is evaluated at replication, the request side per connection. */
        public record KeyPart(Expr rowExpr, Expr requestExpr, KeyMode mode) {}

        /**
         * The rows a lookup under {@code key} reads, for people ({@code validate --explain}):
         * {@code rows of list_members where user_id = 'alice'}.
         */
        public String describeRows(List<SqlValue> key) {
            StringBuilder sb = new StringBuilder("rows of ").append(table.qualifiedName()).append(" where ");
            for (int i = 0; i < keys.size(); i++) {
                KeyPart k = keys.get(i);
                sb.append(i == 0 ? "" : " and ").append(Exprs.text(k.rowExpr()))
                        .append(k.mode() == KeyMode.ROW_ARRAY ? " contains " : " = ")
                        .append(i < key.size() ? literal(key.get(i)) : "?");
            }
            if (rowFilter != null) {
                sb.append(" and ").append(Exprs.text(rowFilter));
            }
            return sb.toString();
        }

        private static String literal(SqlValue v) {
            return v instanceof SqlValue.Text t ? "'" + t.value().replace("'", "''") + "'"
                    : v instanceof SqlValue.Int i ? Long.toString(i.value())
                    : v instanceof SqlValue.Real r ? Double.toString(r.value()) : String.valueOf(v);
        }

        /** The lookup entries a source row produces. */
        public List<ParameterEntry> evaluateRow(Map<String, SqlValue> row) {
            RowScope scope = new RowScope(row);
            if (rowFilter != null && !SqlValues.isTrue(Evaluator.eval(rowFilter, scope))) {
                return List.of();
            }
            List<List<SqlValue>> choices = new ArrayList<>(keys.size());
            for (KeyPart k : keys) {
                SqlValue v = Evaluator.eval(k.rowExpr(), scope);
                List<SqlValue> values = k.mode() == KeyMode.ROW_ARRAY ? nonNullElements(v) : nonNull(v);
                if (values.isEmpty()) {
                    return List.of();
                }
                choices.add(values);
            }
            Map<String, SqlValue> out = evalOutputs(outputs, scope);
            List<ParameterEntry> entries = new ArrayList<>();
            for (List<SqlValue> combination : cartesian(choices)) {
                entries.add(new ParameterEntry(new LookupKey(definition, queryIndex, combination), out));
            }
            return entries;
        }

        @Override
        public List<Map<String, SqlValue>> resolve(Scope request, ParameterLookup lookup) {
            if (requestFilter != null && !SqlValues.isTrue(Evaluator.eval(requestFilter, request))) {
                return List.of();
            }
            List<List<SqlValue>> choices = new ArrayList<>(keys.size());
            for (KeyPart k : keys) {
                SqlValue v = Evaluator.eval(k.requestExpr(), request);
                List<SqlValue> values = k.mode() == KeyMode.REQUEST_ARRAY ? nonNullElements(v) : nonNull(v);
                if (values.isEmpty()) {
                    return List.of();
                }
                choices.add(values);
            }
            List<Map<String, SqlValue>> out = new ArrayList<>();
            for (List<SqlValue> combination : cartesian(choices)) {
                out.addAll(lookup.lookup(new LookupKey(definition, queryIndex, combination)));
            }
            return out;
        }

        private static List<SqlValue> nonNull(SqlValue v) {
            return v instanceof SqlValue.Null ? List.of() : List.of(v);
        }

        private static List<SqlValue> nonNullElements(SqlValue v) {
            List<SqlValue> elements = v instanceof SqlValue.Null ? null : SqlOperators.jsonArrayElements(v);
            if (elements == null) {
                return List.of();
            }
            return elements.stream().filter(e -> !(e instanceof SqlValue.Null)).distinct().toList();
        }

        private static List<List<SqlValue>> cartesian(List<List<SqlValue>> choices) {
            List<List<SqlValue>> result = new ArrayList<>();
            result.add(List.of());
            for (List<SqlValue> options : choices) {
                List<List<SqlValue>> next = new ArrayList<>(result.size() * options.size());
                for (List<SqlValue> prefix : result) {
                    for (SqlValue o : options) {
                        List<SqlValue> l = new ArrayList<>(prefix);
                        l.add(o);
                        next.add(l);
                    }
                }
                result = next;
            }
            return result;
        }
    }
}
