package dev.syncline.rules;

import static dev.syncline.rules.SyncRulesPlanTest.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.syncline.rules.value.SqlValue;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Row → buckets: output shape, ids, JSON data, multi-bucket rows. */
class EvaluateRowTest {

    @Test
    void outputColumnsAliasesAndExpressionsShapeTheData() {
        SyncRulesPlan plan = SyncRules.compile("""
                bucket_definitions:
                  global:
                    data:
                      - SELECT uuid AS id, upper(name) AS name, price * 2 AS double_price, meta ->> 'color' AS color, big FROM app.products AS items
                """);
        List<BucketRow> rows = plan.evaluateRow("app.products", row("uuid", "p-1", "name", "tea", "price", 1.25,
                "meta", "{\"color\":\"green\"}", "big", 9223372036854775807L, "hidden", "x"));
        assertThat(rows).containsExactly(new BucketRow("global[]", "items", "p-1",
                "{\"id\":\"p-1\",\"name\":\"TEA\",\"double_price\":2.5,\"color\":\"green\",\"big\":9223372036854775807}"));
        assertThat(plan.evaluateRow("products", row("uuid", "p-1"))).isEmpty();
    }

    @Test
    void realsAndTextAreWrittenAsJavaScriptWouldWriteThem() {
        SyncRulesPlan plan = SyncRules.compile("bucket_definitions:\n  g:\n    data: [SELECT * FROM t]\n");
        List<BucketRow> rows = plan.evaluateRow("t", row("id", 1, "a", 1.0, "b", 1e21, "c", Double.NaN, "d", "q\"\n\u2028", "e", null));
        assertThat(rows.getFirst().dataJson()).isEqualTo("{\"id\":1,\"a\":1,\"b\":1e+21,\"c\":null,\"d\":\"q\\\"\\n\u2028\",\"e\":null}");
        assertThat(rows.getFirst().id()).isEqualTo("1");
    }

    @Test
    void rowsWithoutIdAreSkipped() {
        SyncRulesPlan plan = SyncRules.compile("bucket_definitions:\n  g:\n    data: [SELECT * FROM t]\n");
        assertThat(plan.evaluateRow("t", row("id", null, "x", 1))).isEmpty();
        assertThat(plan.evaluateRow("t", row("x", 1))).isEmpty();
        assertThat(plan.evaluateRow("t", row("id", 2.5))).extracting(BucketRow::id).containsExactly("2.5");
    }

    @Test
    void aRowCanLandInSeveralBuckets() {
        SyncRulesPlan plan = SyncRules.compile("""
                bucket_definitions:
                  by_tag:
                    parameters: SELECT value AS tag FROM json_each(request.jwt() -> 'tags')
                    data:
                      - SELECT id FROM posts WHERE bucket.tag IN tags AND published = 1
                  involved:
                    parameters: SELECT request.user_id() AS user_id
                    data:
                      - SELECT id FROM posts WHERE author = bucket.user_id OR reviewer = bucket.user_id
                """);
        List<BucketRow> rows = plan.evaluateRow("posts", row("id", "p1", "tags", "[\"a\",\"b\",\"a\",null,7]", "published", 1,
                "author", "u1", "reviewer", "u2"));
        assertThat(rows).extracting(BucketRow::bucket).containsExactly(
                "by_tag[\"a\"]", "by_tag[\"b\"]", "by_tag[7]", "involved[\"u1\"]", "involved[\"u2\"]");
        assertThat(plan.evaluateRow("posts", row("id", "p1", "tags", "[\"a\"]", "published", 0, "author", "u1", "reviewer", "u1")))
                .extracting(BucketRow::bucket).containsExactly("involved[\"u1\"]");
        assertThat(plan.evaluateRow("posts", row("id", "p1", "tags", "not json"))).isEmpty();
    }

    @Test
    void twoParametersMakeATwoElementBucketId() {
        SyncRulesPlan plan = SyncRules.compile("""
                bucket_definitions:
                  org_user:
                    parameters: SELECT token_parameters.org_id AS org_id, request.user_id() AS user_id
                    data:
                      - SELECT * FROM messages WHERE recipient = bucket.user_id AND org_id = bucket.org_id
                """);
        assertThat(plan.evaluateRow("messages", row("id", "m1", "org_id", 5, "recipient", "u1")))
                .extracting(BucketRow::bucket).containsExactly("org_user[5,\"u1\"]");
        assertThat(plan.queryBuckets(new RequestContext("u1", "{\"parameters\":{\"org_id\":5.0}}", null), ParameterLookup.none()))
                .extracting(ResolvedBucket::bucket).containsExactly("org_user[5,\"u1\"]");
    }

    @Test
    void parameterRowsExpandArraysOnEitherSide() {
        SyncRulesPlan plan = SyncRules.compile("""
                bucket_definitions:
                  boards:
                    parameters: SELECT id AS board_id FROM boards WHERE request.user_id() IN member_ids AND archived = 0
                    data: [SELECT * FROM cards WHERE board_id = bucket.board_id]
                  teams:
                    parameters: SELECT id AS team_id FROM teams WHERE id IN request.jwt() -> 'teams'
                    data: [SELECT * FROM docs WHERE team_id = bucket.team_id]
                """);
        assertThat(plan.evaluateParameterRow("boards", row("id", "b1", "member_ids", "[\"u1\",\"u2\"]", "archived", 0)))
                .extracting(ParameterEntry::key).containsExactly(
                        new LookupKey("boards", 0, List.of(SqlValue.of("u1"))), new LookupKey("boards", 0, List.of(SqlValue.of("u2"))));
        assertThat(plan.evaluateParameterRow("boards", row("id", "b1", "member_ids", "[\"u1\"]", "archived", 1))).isEmpty();

        List<ParameterEntry> team = plan.evaluateParameterRow("teams", row("id", 3));
        assertThat(team).containsExactly(new ParameterEntry(new LookupKey("teams", 0, List.of(SqlValue.of(3))),
                Map.of("team_id", SqlValue.of(3))));
        ParameterLookup lookup = key -> key.equals(team.getFirst().key()) ? List.of(team.getFirst().outputs()) : List.of();
        assertThat(plan.queryBuckets(new RequestContext("u1", "{\"teams\":[3.0,4]}", null), lookup))
                .extracting(ResolvedBucket::bucket).containsExactly("teams[3]");
        assertThat(new LookupKey("d", 1, List.of(SqlValue.of(3.0), SqlValue.of("x"))).serialize()).isEqualTo("d/1[3,\"x\"]");
    }

    @Test
    void powerSyncDocumentedPatternsWork() {
        SyncRulesPlan plan = SyncRules.compile("""
                bucket_definitions:
                  shared_items:
                    parameters: SELECT request.user_id() AS user_id
                    data:
                      - SELECT * FROM items WHERE bucket.user_id IN json_keys(permissions_json)
                  by_date:
                    parameters: select id as post_id from posts where substring(created_at, 1, 10) in request.jwt() -> 'sync_dates'
                    data:
                      - select * from comments where post_id = bucket.post_id
                """);
        assertThat(plan.evaluateRow("items", row("id", "i1", "permissions_json", "{\"u1\":\"read\",\"u2\":\"admin\"}")))
                .extracting(BucketRow::bucket).containsExactly("shared_items[\"u1\"]", "shared_items[\"u2\"]");
        List<ParameterEntry> posts = plan.evaluateParameterRow("posts", row("id", "p1", "created_at", "2024-02-29T10:00:00Z"));
        assertThat(posts).extracting(ParameterEntry::key)
                .containsExactly(new LookupKey("by_date", 0, List.of(SqlValue.of("2024-02-29"))));
        ParameterLookup lookup = key -> key.equals(posts.getFirst().key()) ? List.of(posts.getFirst().outputs()) : List.of();
        assertThat(plan.queryBuckets(new RequestContext("u1", "{\"sync_dates\":[\"2024-02-28\",\"2024-02-29\"]}", null), lookup))
                .extracting(ResolvedBucket::bucket).containsExactly("shared_items[\"u1\"]", "by_date[\"p1\"]");
    }

    @Test
    void aNamedOutputReplacesTheStarColumnInPlace() {
        SyncRulesPlan plan = SyncRules.compile("bucket_definitions:\n  g:\n    data: ['SELECT *, upper(name) AS name, 1 AS extra FROM t']\n");
        assertThat(plan.evaluateRow("t", row("id", "a", "name", "x", "n", 2)))
                .extracting(BucketRow::dataJson).containsExactly("{\"id\":\"a\",\"name\":\"X\",\"n\":2,\"extra\":1}");
    }
}
