package dev.syncline.rules.compile;

import dev.syncline.rules.ParameterLookup;
import dev.syncline.rules.eval.Evaluator;
import dev.syncline.rules.eval.Scope;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValues;

/** A condition on the request that decides whether a stream's bucket applies to a subscription at all. */
public sealed interface StreamFilter {

    boolean test(Scope request, ParameterLookup lookup);

    String describe();

    /** A condition on request values alone, e.g. {@code auth.parameter('is_admin')}. */
    record Condition(Expr expr) implements StreamFilter {
        @Override
        public boolean test(Scope request, ParameterLookup lookup) {
            return SqlValues.isTrue(Evaluator.eval(expr, request));
        }

        @Override
        public String describe() {
            return Exprs.text(expr);
        }
    }

    /**
     * A lookup that must find something: {@code auth.user_id() IN (SELECT id FROM admins)} or a
     * joined table not connected to the synced table.
     */
    record Exists(ValueSource.Lookup lookup) implements StreamFilter {
        @Override
        public boolean test(Scope request, ParameterLookup index) {
            return !lookup.values(request, index).isEmpty();
        }

        @Override
        public String describe() {
            return "exists " + lookup.describe();
        }
    }
}
