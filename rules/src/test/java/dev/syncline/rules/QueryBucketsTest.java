package dev.syncline.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.syncline.rules.value.SqlValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Request → bucket ids: claim types, missing claims, and clients trying to widen their access. */
class QueryBucketsTest {

    static final SyncRulesPlan ORG = SyncRules.compile("""
            bucket_definitions:
              org:
                parameters: SELECT token_parameters.org_id AS org_id
                data:
                  - SELECT * FROM projects WHERE org_id = bucket.org_id
            """);

    static List<String> buckets(SyncRulesPlan plan, String claims, String clientParams, ParameterLookup lookup) {
        return plan.queryBuckets(new RequestContext("u1", claims, clientParams), lookup).stream()
                .map(ResolvedBucket::bucket).toList();
    }

    @ParameterizedTest(name = "org_id = {0} → {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "\"abc\"                | org[\"abc\"]",
        "42                     | org[42]",
        "-7                     | org[-7]",
        "9007199254740993       | org[9007199254740993]",
        "9223372036854775807    | org[9223372036854775807]",
        "1.5                    | org[1.5]",
        "2.0                    | org[2]",
        "1e21                   | org[1e+21]",
        "0.000001               | org[0.000001]",
        "1e-7                   | org[1e-7]",
        "true                   | org[1]",
        "false                  | org[0]",
        "{\"a\":1,\"b\":[true]} | org[\"{\\\"a\\\":1,\\\"b\\\":[true]}\"]",
        "[1,\"x\"]              | org[\"[1,\\\"x\\\"]\"]",
        "\"a\\\"b\\u00e9\\n\\u0001\" | org[\"a\\\"bé\\n\\u0001\"]",
        "\"\"                   | org[\"\"]",
    })
    void tokenParameterOfEveryJsonType(String json, String expectedBucket) {
        String claims = "{\"sub\":\"u1\",\"parameters\":{\"org_id\":" + json + "}}";
        assertThat(buckets(ORG, claims, "{}", ParameterLookup.none())).containsExactly(expectedBucket);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"sub\":\"u1\",\"parameters\":{\"org_id\":null}}",
        "{\"sub\":\"u1\",\"parameters\":{}}",
        "{\"sub\":\"u1\",\"parameters\":\"org_id\"}",
        "{\"sub\":\"u1\",\"parameters\":[1]}",
        "{\"sub\":\"u1\"}",
        "{\"sub\":\"u1\",\"org_id\":\"o1\"}",
    })
    void missingOrNullClaimsGrantNothing(String claims) {
        assertThat(buckets(ORG, claims, "{\"org_id\":\"o1\",\"parameters\":{\"org_id\":\"o1\"}}", ParameterLookup.none()))
                .isEmpty();
    }

    @Test
    void claimsMustBeAJsonObject() {
        assertThatThrownBy(() -> buckets(ORG, "[1]", "{}", ParameterLookup.none())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> buckets(ORG, "{bad", "{}", ParameterLookup.none())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jsonEachElementsOfEveryType() {
        SyncRulesPlan plan = SyncRules.compile("""
                bucket_definitions:
                  p:
                    parameters: SELECT value AS id FROM json_each(request.jwt() -> 'ids')
                    data: [SELECT * FROM t WHERE id = bucket.id]
                """);
        String claims = "{\"ids\":[1,\"a\",true,null,{\"x\":1},2.5,1.0,[]]}";
        assertThat(buckets(plan, claims, null, ParameterLookup.none()))
                .containsExactly("p[1]", "p[\"a\"]", "p[\"{\\\"x\\\":1}\"]", "p[2.5]", "p[\"[]\"]");
        assertThat(buckets(plan, "{\"ids\":\"nope\"}", null, ParameterLookup.none())).isEmpty();
        assertThat(buckets(plan, "{}", null, ParameterLookup.none())).isEmpty();
    }

    // ---- malicious client parameters ----

    static final SyncRulesPlan MIXED = SyncRules.compile("""
            bucket_definitions:
              mine:
                parameters: SELECT request.user_id() AS user_id
                data: [SELECT * FROM notes WHERE owner_id = bucket.user_id]
              org:
                parameters: SELECT token_parameters.org_id AS org_id
                data: [SELECT * FROM projects WHERE org_id = bucket.org_id]
              projects:
                parameters: SELECT value AS project_id FROM json_each(request.jwt() -> 'projects')
                data: [SELECT * FROM issues WHERE project_id = bucket.project_id]
              selected_list:
                parameters: SELECT id AS list_id FROM lists WHERE owner_id = request.user_id() AND id = request.parameters() ->> 'list'
                data: [SELECT * FROM todos WHERE list_id = bucket.list_id]
              owned_lists:
                parameters: SELECT id AS list_id FROM lists WHERE owner_id = request.user_id()
                data: [SELECT * FROM todos WHERE list_id = bucket.list_id]
            """);

    static final String CLAIMS = "{\"sub\":\"u1\",\"parameters\":{\"org_id\":\"o1\"},\"projects\":[\"p1\"]}";

    /** The lookup index after replicating lists l1 (owned by u1) and l2 (owned by u2). */
    static ParameterLookup listIndex() {
        Map<LookupKey, List<Map<String, SqlValue>>> index = new HashMap<>();
        for (String[] list : new String[][] {{"l1", "u1"}, {"l2", "u2"}}) {
            Map<String, SqlValue> row = Map.of("id", SqlValue.of(list[0]), "owner_id", SqlValue.of(list[1]));
            for (ParameterEntry e : MIXED.evaluateParameterRow("lists", row)) {
                index.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e.outputs());
            }
        }
        return key -> index.getOrDefault(key, List.of());
    }

    /** Everything u1's token can ever grant, whatever the client sends. */
    static final Set<String> U1_UNIVERSE = Set.of("mine[\"u1\"]", "org[\"o1\"]", "projects[\"p1\"]",
            "selected_list[\"l1\"]", "owned_lists[\"l1\"]");

    @Test
    void legitimateClientParameterSelectsWithinTheTokensLists() {
        assertThat(buckets(MIXED, CLAIMS, "{\"list\":\"l1\"}", listIndex())).containsExactlyInAnyOrder(
                "mine[\"u1\"]", "org[\"o1\"]", "projects[\"p1\"]", "selected_list[\"l1\"]", "owned_lists[\"l1\"]");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"list\":\"l2\"}",
        "{\"list\":[\"l1\",\"l2\"]}",
        "{\"org_id\":\"o2\",\"parameters\":{\"org_id\":\"o2\"}}",
        "{\"sub\":\"u2\",\"user_id\":\"u2\"}",
        "{\"projects\":[\"p2\"],\"ids\":[\"p2\"]}",
        "{\"list\":\"l2' OR '1'='1\"}",
        "{\"__proto__\":{\"org_id\":\"o2\"},\"constructor\":{\"prototype\":{\"list\":\"l2\"}}}",
        "[\"l2\"]",
        "\"l2\"",
        "{not json",
        "null",
        "{\"list\":{\"$ne\":null}}",
        "{\"list\":null}",
        "{\"list\":1e400}",
    })
    void maliciousClientParametersNeverWidenAccess(String clientParams) {
        assertThat(buckets(MIXED, CLAIMS, clientParams, listIndex())).isSubsetOf(U1_UNIVERSE)
                .contains("mine[\"u1\"]", "org[\"o1\"]", "projects[\"p1\"]", "owned_lists[\"l1\"]");
    }

    @Test
    void randomClientParametersNeverWidenAccess() {
        Random random = new Random(20261126);
        String[] keys = {"list", "org_id", "sub", "user_id", "parameters", "projects", "id", "owner_id"};
        String[] values = {"\"l1\"", "\"l2\"", "\"u2\"", "\"o2\"", "[\"l2\"]", "{\"org_id\":\"o2\"}", "1", "true", "null",
            "\"\"", "[]", "{}", "9007199254740993", "-0.0"};
        ParameterLookup lookup = listIndex();
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder("{");
            int n = random.nextInt(4);
            for (int k = 0; k < n; k++) {
                if (k > 0) {
                    sb.append(',');
                }
                sb.append('"').append(keys[random.nextInt(keys.length)]).append("\":").append(values[random.nextInt(values.length)]);
            }
            String params = sb.append('}').toString();
            assertThat(buckets(MIXED, CLAIMS, params, lookup)).as(params).isSubsetOf(U1_UNIVERSE);
        }
    }

    @Test
    void clientParametersCannotImpersonateAnotherUser() {
        // Same client params, different tokens: the token alone decides the user buckets.
        String params = "{\"list\":\"l2\",\"sub\":\"u1\"}";
        List<String> u2 = MIXED.queryBuckets(new RequestContext("u2", "{\"sub\":\"u2\"}", params), listIndex())
                .stream().map(ResolvedBucket::bucket).toList();
        assertThat(u2).containsExactlyInAnyOrder("mine[\"u2\"]", "selected_list[\"l2\"]", "owned_lists[\"l2\"]");
    }

    @Test
    void prioritiesComeFromTheDefinitionAndGlobalBucketsNeedNoParameters() {
        SyncRulesPlan plan = SyncRules.compile("""
                bucket_definitions:
                  first:
                    priority: 0
                    data: [SELECT * FROM a]
                  later:
                    parameters: SELECT request.user_id() AS user_id
                    data: [SELECT * FROM b WHERE owner = bucket.user_id]
                """);
        assertThat(plan.queryBuckets(new RequestContext("u1", "{}", null), ParameterLookup.none())).containsExactly(
                new ResolvedBucket("first[]", 0, "first"), new ResolvedBucket("later[\"u1\"]", 3, "later"));
        assertThat(plan.queryBuckets(new RequestContext(null, "{}", null), ParameterLookup.none()))
                .extracting(ResolvedBucket::bucket).containsExactly("first[]");
    }
}
