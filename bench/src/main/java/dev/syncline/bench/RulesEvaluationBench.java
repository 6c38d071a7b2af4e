package dev.syncline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.rules.BucketRow;
import dev.syncline.rules.LookupKey;
import dev.syncline.rules.ParameterEntry;
import dev.syncline.rules.ParameterLookup;
import dev.syncline.rules.RequestContext;
import dev.syncline.rules.SyncRules;
import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.rules.value.SqlValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Rows/s of the compiled sync rules on a realistic to-do rule set: row → buckets (data queries),
 * row → parameter-lookup entries, and request → bucket ids. Plain main, single thread; prints a
 * Markdown table. As a same-run yardstick it also times serialising each row once with Jackson,
 * the least work any replication pipeline does per row.
 *
 * <p>Run: {@code bench/run rules [rows] [rounds]}; results in docs/benchmarks.md.
 */
public final class RulesEvaluationBench {

    static final String RULES = """
            bucket_definitions:
              user_lists:
                parameters:
                  - SELECT id AS list_id FROM lists WHERE owner_id = request.user_id()
                  - SELECT list_id FROM list_shares WHERE user_id = request.user_id()
                data:
                  - SELECT * FROM lists WHERE id = bucket.list_id
                  - SELECT id, list_id, title, upper(substring(title, 1, 1)) AS initial, done, priority, created_at FROM todos WHERE list_id = bucket.list_id AND deleted_at IS NULL
              assigned:
                parameters: SELECT request.user_id() AS user_id
                data:
                  - SELECT id, title, list_id, due_at FROM todos AS my_todos WHERE assignee_id = bucket.user_id AND done = 0
              org:
                parameters: SELECT token_parameters.org_id AS org_id
                data:
                  - SELECT * FROM projects WHERE org_id = bucket.org_id
              by_tag:
                parameters: SELECT value AS tag FROM json_each(request.jwt() -> 'tags')
                data:
                  - SELECT id, title FROM todos AS tagged WHERE bucket.tag IN tags
              global:
                data:
                  - SELECT id, name FROM categories
            """;

    private RulesEvaluationBench() {}

    public static void main(String[] args) {
        int rowCount = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        SyncRulesPlan plan = SyncRules.compile(RULES);
        Random random = new Random(42);
        List<Map<String, SqlValue>> todos = new ArrayList<>(rowCount);
        List<Map<String, Object>> plainTodos = new ArrayList<>(rowCount);
        for (int i = 0; i < rowCount; i++) {
            Map<String, SqlValue> row = todo(random, i);
            todos.add(row);
            Map<String, Object> plain = new LinkedHashMap<>();
            row.forEach((k, v) -> plain.put(k, plainValue(v)));
            plainTodos.add(plain);
        }
        List<Map<String, SqlValue>> lists = new ArrayList<>();
        for (int i = 0; i < rowCount; i++) {
            lists.add(Map.of("id", SqlValue.of("list-" + i), "owner_id", SqlValue.of("user-" + (i % 1000)),
                    "name", SqlValue.of("List " + i)));
        }
        Map<LookupKey, List<Map<String, SqlValue>>> index = new HashMap<>();
        for (Map<String, SqlValue> l : lists) {
            for (ParameterEntry e : plan.evaluateParameterRow("public.lists", l)) {
                index.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e.outputs());
            }
        }
        ParameterLookup lookup = key -> index.getOrDefault(key, List.of());
        List<RequestContext> requests = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            requests.add(new RequestContext("user-" + i,
                    "{\"sub\":\"user-" + i + "\",\"parameters\":{\"org_id\":" + (i % 7) + "},\"tags\":[\"t1\",\"t" + (i % 5) + "\"]}",
                    "{}"));
        }
        ObjectMapper json = new ObjectMapper();

        long[] placements = new long[1];
        Runnable rules = () -> {
            long n = 0;
            for (Map<String, SqlValue> row : todos) {
                List<BucketRow> out = plan.evaluateRow("public.todos", row);
                n += out.size();
            }
            placements[0] = n;
        };
        Runnable jackson = () -> {
            long bytes = 0;
            for (Map<String, Object> row : plainTodos) {
                try {
                    bytes += json.writeValueAsString(row).length();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            if (bytes == 0) {
                throw new IllegalStateException();
            }
        };
        // Alternate the two in every round so both see the same machine load (the host is shared and noisy).
        double[] rowsPerSec = new double[rounds];
        double[] jacksonPerSec = new double[rounds];
        double[] ratios = new double[rounds];
        measure(3, rowCount, rules);
        measure(3, rowCount, jackson);
        for (int i = 0; i < rounds; i++) {
            rowsPerSec[i] = measure(1, rowCount, rules, false)[0];
            jacksonPerSec[i] = measure(1, rowCount, jackson, false)[0];
            ratios[i] = rowsPerSec[i] / jacksonPerSec[i];
        }
        double[] paramRowsPerSec = measure(rounds, rowCount, () -> {
            long n = 0;
            for (Map<String, SqlValue> l : lists) {
                n += plan.evaluateParameterRow("public.lists", l).size();
            }
            if (n == 0) {
                throw new IllegalStateException();
            }
        });
        double[] requestsPerSec = measure(rounds, requests.size() * 20, () -> {
            long n = 0;
            for (int k = 0; k < 20; k++) {
                for (RequestContext r : requests) {
                    n += plan.queryBuckets(r, lookup).size();
                }
            }
            if (n == 0) {
                throw new IllegalStateException();
            }
        });

        double rows = median(rowsPerSec);
        System.out.printf("rows=%d rounds=%d java=%s cores=%d%n", rowCount, rounds, System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        System.out.println("| operation | median per second | min–max over rounds |");
        System.out.println("|---|---|---|");
        row("row → buckets (todos, evaluateRow)", rowsPerSec, " rows");
        System.out.printf("| bucket placements produced | %,.0f | %.2f per row |%n", rows * placements[0] / rowCount,
                (double) placements[0] / rowCount);
        row("same rows serialised once with Jackson (yardstick)", jacksonPerSec, " rows");
        row("row → parameter-lookup entries (lists)", paramRowsPerSec, " rows");
        row("request → bucket ids (queryBuckets, 5 definitions)", requestsPerSec, " requests");
        System.out.printf("%nrow → buckets / Jackson serialisation, median of per-round ratios = %.2f; "
                + "median row → buckets / 100k changes/s replication ceiling = %.1f×%n", median(ratios), rows / 100_000.0);
    }

    static void row(String name, double[] perSec, String unit) {
        double[] sorted = perSec.clone();
        Arrays.sort(sorted);
        System.out.printf("| %s | %,.0f%s | %,.0f – %,.0f |%n", name, median(perSec), unit, sorted[0], sorted[sorted.length - 1]);
    }

    /** Runs {@code work} (which processes {@code items} items) for warm-up rounds, then {@code rounds} timed rounds. */
    static double[] measure(int rounds, int items, Runnable work) {
        return measure(rounds, items, work, true);
    }

    static double[] measure(int rounds, int items, Runnable work, boolean warmUp) {
        for (int i = 0; warmUp && i < Math.max(3, rounds / 2); i++) {
            work.run();
        }
        double[] perSec = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            work.run();
            perSec[i] = items / ((System.nanoTime() - t0) / 1e9);
        }
        return perSec;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    static Map<String, SqlValue> todo(Random r, int i) {
        Map<String, SqlValue> row = new LinkedHashMap<>();
        row.put("id", SqlValue.of(new java.util.UUID(r.nextLong(), r.nextLong()).toString()));
        row.put("list_id", SqlValue.of("list-" + r.nextInt(5000)));
        row.put("title", SqlValue.of("todo number " + i + " buy milk and bread"));
        row.put("description", SqlValue.of("a somewhat longer description of the thing that needs doing, row " + i));
        row.put("done", SqlValue.of(r.nextInt(3) == 0 ? 1 : 0));
        row.put("priority", SqlValue.of(r.nextInt(4)));
        row.put("assignee_id", SqlValue.of("user-" + r.nextInt(1000)));
        row.put("created_at", SqlValue.of("2024-02-29T12:34:56.123Z"));
        row.put("due_at", r.nextBoolean() ? SqlValue.nullValue() : SqlValue.of("2024-03-15T00:00:00Z"));
        row.put("deleted_at", r.nextInt(20) == 0 ? SqlValue.of("2024-03-01T00:00:00Z") : SqlValue.nullValue());
        int tags = r.nextInt(4);
        StringBuilder sb = new StringBuilder("[");
        for (int t = 0; t < tags; t++) {
            sb.append(t > 0 ? "," : "").append("\"t").append(r.nextInt(5)).append('"');
        }
        row.put("tags", SqlValue.of(sb.append(']').toString()));
        row.put("version", SqlValue.of(9007199254740993L + i));
        return row;
    }

    static Object plainValue(SqlValue v) {
        return switch (v) {
            case SqlValue.Null n -> null;
            case SqlValue.Int i -> i.value();
            case SqlValue.Real d -> d.value();
            case SqlValue.Text t -> t.value();
        };
    }
}
