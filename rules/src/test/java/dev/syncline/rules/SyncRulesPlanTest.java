package dev.syncline.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.syncline.rules.value.SqlValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SyncRulesPlanTest {

    static final String TODO_RULES = """
            bucket_definitions:
              user_lists:
                parameters: SELECT id AS list_id FROM lists WHERE owner_id = request.user_id()
                data:
                  - SELECT * FROM lists WHERE id = bucket.list_id
                  - SELECT * FROM todos WHERE list_id = bucket.list_id
              global:
                data: ['SELECT id, name FROM categories']
            """;

    static Map<String, SqlValue> row(Object... kv) {
        Map<String, SqlValue> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            m.put((String) kv[i], switch (v) {
                case null -> SqlValue.nullValue();
                case Long l -> SqlValue.of(l);
                case Integer n -> SqlValue.of((long) n);
                case Double d -> SqlValue.of(d);
                case String s -> SqlValue.of(s);
                default -> throw new IllegalArgumentException(String.valueOf(v));
            });
        }
        return m;
    }

    @Test
    void protocolExampleRowsLandInTheirBuckets() {
        SyncRulesPlan plan = SyncRules.compile(TODO_RULES);
        assertThat(plan.sourceTables()).extracting(SourceTable::qualifiedName)
                .containsExactly("public.lists", "public.todos", "public.categories");

        assertThat(plan.evaluateRow("public.todos", row("id", "t1", "list_id", "l1", "done", 0)))
                .containsExactly(new BucketRow("user_lists[\"l1\"]", "todos", "t1", "{\"id\":\"t1\",\"list_id\":\"l1\",\"done\":0}"));
        assertThat(plan.evaluateRow("categories", row("id", 7, "name", "x", "secret", "s")))
                .containsExactly(new BucketRow("global[]", "categories", "7", "{\"id\":7,\"name\":\"x\"}"));
        assertThat(plan.evaluateRow("public.todos", row("id", "t2", "list_id", null))).isEmpty();
        assertThat(plan.evaluateRow("other.todos", row("id", "t2", "list_id", "l1"))).isEmpty();
    }

    @Test
    void parameterRowsFeedTheLookupAndRequestsFindTheirBuckets() {
        SyncRulesPlan plan = SyncRules.compile(TODO_RULES);
        List<ParameterEntry> entries = plan.evaluateParameterRow("public.lists", row("id", "l1", "owner_id", "u1"));
        assertThat(entries).containsExactly(new ParameterEntry(
                new LookupKey("user_lists", 0, List.of(SqlValue.of("u1"))), Map.of("list_id", SqlValue.of("l1"))));

        ParameterLookup lookup = key -> key.equals(entries.getFirst().key()) ? List.of(entries.getFirst().outputs()) : List.of();
        List<ResolvedBucket> buckets = plan.queryBuckets(new RequestContext("u1", "{\"sub\":\"u1\"}", "{}"), lookup);
        assertThat(buckets).extracting(ResolvedBucket::bucket).containsExactly("user_lists[\"l1\"]", "global[]");
        assertThat(plan.queryBuckets(new RequestContext("u2", "{\"sub\":\"u2\"}", "{}"), lookup))
                .extracting(ResolvedBucket::bucket).containsExactly("global[]");
    }

    @Test
    void aPreparedRequestFollowsTheLookupAcrossCheckpoints() {
        SyncRulesPlan plan = SyncRules.compile(TODO_RULES);
        ParameterEntry entry = plan.evaluateParameterRow("public.lists", row("id", "l1", "owner_id", "u1")).getFirst();
        PreparedRequest u1 = plan.prepare(new RequestContext("u1", "{\"sub\":\"u1\"}", "{}"));
        // The same prepared request, evaluated against the lookup before and after the grant and its revocation.
        assertThat(plan.queryBuckets(u1, ParameterLookup.none())).extracting(ResolvedBucket::bucket).containsExactly("global[]");
        ParameterLookup granted = key -> key.equals(entry.key()) ? List.of(entry.outputs()) : List.of();
        assertThat(plan.queryBuckets(u1, granted)).extracting(ResolvedBucket::bucket)
                .containsExactly("user_lists[\"l1\"]", "global[]");
        assertThat(plan.queryBuckets(u1, ParameterLookup.none())).extracting(ResolvedBucket::bucket).containsExactly("global[]");
        assertThatThrownBy(() -> plan.prepare(new RequestContext("u1", "[1]", "{}")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bucketLimitRaisesATypedError() {
        SyncRulesPlan plan = SyncRules.compile("""
                bucket_definitions:
                  by_id:
                    parameters: SELECT value AS id FROM json_each(request.jwt() -> 'ids')
                    data: [SELECT * FROM items WHERE id = bucket.id]
                """).withLimits(new SyncRulesLimits(2, 1000));
        RequestContext ok = new RequestContext("u", "{\"ids\":[1,2]}", null);
        assertThat(plan.queryBuckets(ok, ParameterLookup.none())).extracting(ResolvedBucket::bucket)
                .containsExactly("by_id[1]", "by_id[2]");
        RequestContext tooMany = new RequestContext("u", "{\"ids\":[1,2,3]}", null);
        assertThatThrownBy(() -> plan.queryBuckets(tooMany, ParameterLookup.none()))
                .isInstanceOfSatisfying(SyncRulesLimitException.class,
                        e -> assertThat(e.code()).isEqualTo(RuleErrorCode.TOO_MANY_BUCKETS));
        SyncRulesPlan fewResults = plan.withLimits(new SyncRulesLimits(1000, 2));
        assertThatThrownBy(() -> fewResults.queryBuckets(tooMany, ParameterLookup.none()))
                .isInstanceOfSatisfying(SyncRulesLimitException.class,
                        e -> assertThat(e.code()).isEqualTo(RuleErrorCode.TOO_MANY_PARAMETER_RESULTS));
    }
}
