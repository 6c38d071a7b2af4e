package dev.syncline.rules.compile;

import dev.syncline.rules.eval.Evaluator;
import dev.syncline.rules.eval.Scope;
import dev.syncline.rules.eval.SqlOperators;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A data query's WHERE, split into the parts that bind bucket parameters and the parts that
 * only test the row. Matching a row yields the bucket-parameter assignments it belongs to: none
 * when the row is filtered out, one empty assignment for a row-only filter that holds.
 */
sealed interface DataFilter {

    Map<String, SqlValue> EMPTY = Map.of();

    List<Map<String, SqlValue>> match(Scope row);

    /** A position-free description: equal descriptions place rows in the same buckets. */
    default String describe() {
        return switch (this) {
            case RowPredicate p -> "where " + Exprs.text(p.condition());
            case ParamEquals p -> "p" + p.param() + " = " + Exprs.text(p.value());
            case ParamInArray p -> "p" + p.param() + " in " + Exprs.text(p.array());
            case And a -> "(" + a.left().describe() + " and " + a.right().describe() + ")";
            case Or o -> "(" + o.left().describe() + " or " + o.right().describe() + ")";
        };
    }

    /** A condition on the row alone. */
    record RowPredicate(Expr condition) implements DataFilter {
        @Override
        public List<Map<String, SqlValue>> match(Scope row) {
            return SqlValues.isTrue(Evaluator.eval(condition, row)) ? List.of(EMPTY) : List.of();
        }
    }

    /** {@code expr = bucket.p}: the row belongs to the bucket whose p is the expression's value. */
    record ParamEquals(String param, Expr value) implements DataFilter {
        @Override
        public List<Map<String, SqlValue>> match(Scope row) {
            SqlValue v = Evaluator.eval(value, row);
            // NULL equals nothing, so a row with a NULL key belongs to no bucket.
            return v instanceof SqlValue.Null ? List.of() : List.of(Map.of(param, v));
        }
    }

    /** {@code bucket.p IN json_array_expr}: one bucket per (non-NULL) array element. */
    record ParamInArray(String param, Expr array) implements DataFilter {
        @Override
        public List<Map<String, SqlValue>> match(Scope row) {
            SqlValue v = Evaluator.eval(array, row);
            List<SqlValue> elements = v instanceof SqlValue.Null ? null : SqlOperators.jsonArrayElements(v);
            if (elements == null) {
                return List.of();
            }
            List<Map<String, SqlValue>> out = new ArrayList<>(elements.size());
            for (SqlValue e : elements) {
                if (!(e instanceof SqlValue.Null)) {
                    out.add(Map.of(param, e));
                }
            }
            return out;
        }
    }

    record And(DataFilter left, DataFilter right) implements DataFilter {
        @Override
        public List<Map<String, SqlValue>> match(Scope row) {
            List<Map<String, SqlValue>> l = left.match(row);
            if (l.isEmpty()) {
                return l;
            }
            List<Map<String, SqlValue>> r = right.match(row);
            if (r.size() == 1 && r.getFirst().isEmpty()) {
                return l; // the usual "param binding AND row condition" case
            }
            if (l.size() == 1 && l.getFirst().isEmpty()) {
                return r;
            }
            List<Map<String, SqlValue>> out = new ArrayList<>(l.size() * r.size());
            for (Map<String, SqlValue> a : l) {
                for (Map<String, SqlValue> b : r) {
                    Map<String, SqlValue> merged = merge(a, b);
                    if (merged != null) {
                        out.add(merged);
                    }
                }
            }
            return out;
        }

        /** Both sides must agree on a parameter bound twice ({@code a = bucket.p AND b = bucket.p}). */
        private static Map<String, SqlValue> merge(Map<String, SqlValue> a, Map<String, SqlValue> b) {
            if (a.isEmpty()) {
                return b;
            }
            if (b.isEmpty()) {
                return a;
            }
            Map<String, SqlValue> m = new HashMap<>(a);
            for (Map.Entry<String, SqlValue> e : b.entrySet()) {
                SqlValue prev = m.putIfAbsent(e.getKey(), e.getValue());
                if (prev != null && !SqlOperators.is(prev, e.getValue())) {
                    return null;
                }
            }
            return m;
        }
    }

    record Or(DataFilter left, DataFilter right) implements DataFilter {
        @Override
        public List<Map<String, SqlValue>> match(Scope row) {
            List<Map<String, SqlValue>> l = left.match(row);
            List<Map<String, SqlValue>> r = right.match(row);
            if (l.isEmpty()) {
                return r;
            }
            if (r.isEmpty()) {
                return l;
            }
            List<Map<String, SqlValue>> out = new ArrayList<>(l);
            out.addAll(r);
            return out;
        }
    }
}
