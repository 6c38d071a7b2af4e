package dev.syncline.rules.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.sql.SqlParser;
import dev.syncline.rules.value.SqlValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Evaluation runs inside replication: an exception there would stall the stream for one odd
 * value. Random expressions over random hostile values must always produce a value.
 */
class EvaluatorFuzzTest {

    static final String[] LITERALS = {"NULL", "0", "-1", "1", "9223372036854775807", "-9223372036854775808", "1.5", "-0.0",
        "1e308", "'abc'", "''", "'12abc'", "'[1,\"a\",[2],{\"k\":null}]'", "'{\"a\":{\"b\":[1,2]}}'", "'{bad'", "'😀é'",
        "'$.a.b[#-1]'", "'$[99999999999]'", "'1970-01-01'", "'now'", "'9999-12-31 23:59:59'", "'-4713-11-24'", "'subsec'",
        "'unixepoch'", "2147483648", "-2147483649"};
    static final String[] COLUMNS = {"i", "r", "t", "n", "j", "big", "nan", "inf"};
    static final String[] BINARY = {"+", "-", "*", "/", "||", "=", "!=", "<", ">=", "AND", "OR", "IS", "IS NOT", "->", "->>"};

    @Test
    void randomExpressionsNeverThrow() {
        Random random = new Random(7);
        Map<String, SqlValue> row = new LinkedHashMap<>();
        row.put("i", SqlValue.of(Long.MIN_VALUE));
        row.put("r", SqlValue.of(-1e-300));
        row.put("t", SqlValue.of("\u0000\uD800x"));
        row.put("n", SqlValue.nullValue());
        row.put("j", SqlValue.of("[[[[[[1]]]]]]"));
        row.put("big", SqlValue.of(Long.MAX_VALUE));
        row.put("nan", SqlValue.of(Double.NaN));
        row.put("inf", SqlValue.of(Double.NEGATIVE_INFINITY));
        RowScope scope = new RowScope(row);
        List<String> failures = new ArrayList<>();
        for (int k = 0; k < 20_000; k++) {
            String sql = expr(random, 3);
            Expr e;
            try {
                e = SqlParser.parseExpression(sql);
            } catch (dev.syncline.rules.sql.SqlSyntaxException syntax) {
                failures.add("does not parse: " + sql + " → " + syntax.getMessage() + " at " + syntax.offset());
                continue;
            }
            try {
                SqlValue v = Evaluator.eval(e, scope);
                assertThat(v).isNotNull();
            } catch (RuntimeException ex) {
                failures.add(sql + " → " + ex);
            }
        }
        assertThat(failures).isEmpty();
    }

    static String expr(Random r, int depth) {
        if (depth == 0 || r.nextInt(4) == 0) {
            return r.nextBoolean() ? LITERALS[r.nextInt(LITERALS.length)] : COLUMNS[r.nextInt(COLUMNS.length)];
        }
        return switch (r.nextInt(6)) {
            case 0, 1 -> "(" + expr(r, depth - 1) + " " + BINARY[r.nextInt(BINARY.length)] + " " + expr(r, depth - 1) + ")";
            case 2 -> "(NOT " + expr(r, depth - 1) + ")";
            case 3 -> "CAST(" + expr(r, depth - 1) + " AS " + new String[] {"TEXT", "INTEGER", "REAL", "NUMERIC"}[r.nextInt(4)] + ")";
            case 4 -> "(" + expr(r, depth - 1) + (r.nextBoolean() ? " IN (" + expr(r, depth - 1) + ", NULL))" : " IN " + expr(r, 0) + ")");
            default -> {
                List<String> fns = Functions.names();
                String fn = fns.get(r.nextInt(fns.size()));
                int[] arity = Functions.arity(fn);
                int n = arity[0] + r.nextInt(Math.min(arity[1], arity[0] + 2) - arity[0] + 1);
                List<String> args = new ArrayList<>();
                for (int a = 0; a < n; a++) {
                    args.add(expr(r, depth - 1));
                }
                yield fn + "(" + String.join(", ", args) + ")";
            }
        };
    }
}
