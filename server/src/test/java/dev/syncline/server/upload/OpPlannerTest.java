package dev.syncline.server.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpPlannerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final WritableTables TABLES = WritableTables.from(
            List.of(new WritableTables.Allowed("app", "Todo \"Items\""), new WritableTables.Allowed("public", "members"),
                    new WritableTables.Allowed("public", "gone")),
            List.of(column("app", "Todo \"Items\"", "id", "uuid", false, true),
                    column("app", "Todo \"Items\"", "title", "text", false, false),
                    column("app", "Todo \"Items\"", "n", "bigint", false, false),
                    column("app", "Todo \"Items\"", "upper", "text", true, false),
                    column("public", "members", "list_id", "uuid", false, true),
                    column("public", "members", "user_id", "text", false, true)),
            List.of(RowSecurity.enforced("app", "Todo \"Items\""), RowSecurity.enforced("public", "members"),
                    RowSecurity.enforced("public", "gone")), "authenticated");

    private static final List<RowSecurity> ITEMS_RLS = List.of(RowSecurity.enforced("public", "items"));

    private static WritableTables.CatalogColumn column(String schema, String table, String name, String type,
                                                       boolean generated, boolean pk) {
        return new WritableTables.CatalogColumn(schema, table, name, type, generated, pk);
    }

    private static CrudOp op(CrudOp.Kind kind, String type, Map<String, Object> data) {
        Map<String, JsonNode> values = new LinkedHashMap<>();
        data.forEach((k, v) -> values.put(k, JSON.valueToTree(v)));
        return new CrudOp(1, kind, type, "r'1", values);
    }

    @Test
    void putIsAnUpsertOfTheGivenColumnsWithEveryValueBoundAndCast() {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("title", "x'); DROP TABLE t; --");
        data.put("n", 12);
        SqlPlan plan = OpPlanner.plan(op(CrudOp.Kind.PUT, "Todo \"Items\"", data), TABLES);
        assertThat(plan.sql()).isEqualTo("INSERT INTO \"app\".\"Todo \"\"Items\"\"\" (\"id\", \"title\", \"n\")"
                + " VALUES (?::uuid, ?::text, ?::bigint) ON CONFLICT (\"id\") DO UPDATE SET \"title\" = EXCLUDED.\"title\","
                + " \"n\" = EXCLUDED.\"n\"");
        assertThat(plan.parameters()).containsExactly("r'1", "x'); DROP TABLE t; --", "12");
        assertThat(plan.expectRow()).isFalse();
    }

    @Test
    void putWithoutColumnsStillChecksTheUpdatePolicies() {
        SqlPlan plan = OpPlanner.plan(op(CrudOp.Kind.PUT, "Todo \"Items\"", Map.of()), TABLES);
        assertThat(plan.sql()).endsWith("DO UPDATE SET \"id\" = EXCLUDED.\"id\"");
    }

    @Test
    void patchAndDeleteMatchTheIdAndExpectARow() {
        SqlPlan patch = OpPlanner.plan(op(CrudOp.Kind.PATCH, "Todo \"Items\"", Map.of("n", 5)), TABLES);
        assertThat(patch.sql()).isEqualTo("UPDATE \"app\".\"Todo \"\"Items\"\"\" SET \"n\" = ?::bigint WHERE \"id\" = ?::uuid");
        assertThat(patch.parameters()).containsExactly("5", "r'1");
        SqlPlan delete = OpPlanner.plan(op(CrudOp.Kind.DELETE, "Todo \"Items\"", Map.of()), TABLES);
        assertThat(delete.sql()).isEqualTo("DELETE FROM \"app\".\"Todo \"\"Items\"\"\" WHERE \"id\" = ?::uuid");
        assertThat(List.of(patch.expectRow(), delete.expectRow())).containsOnly(true);
    }

    @Test
    void unknownTablesAndColumnsAreRejectedWithTheReasonAndWhatIsWritable() {
        assertThatThrownBy(() -> OpPlanner.plan(op(CrudOp.Kind.PUT, "todos; DROP", Map.of()), TABLES))
                .isInstanceOfSatisfying(RejectedOp.class, e -> {
                    assertThat(e.code()).isEqualTo(UploadErrorCode.SYNC_U2001);
                    assertThat(e.getMessage()).contains("`todos; DROP` is not a writable table").doesNotContain("Items");
                });
        assertThatThrownBy(() -> OpPlanner.plan(op(CrudOp.Kind.PUT, "members", Map.of()), TABLES))
                .isInstanceOfSatisfying(RejectedOp.class, e -> assertThat(e.getMessage())
                        .contains("primary key must be the single column `id`").contains("[list_id, user_id]"));
        assertThatThrownBy(() -> OpPlanner.plan(op(CrudOp.Kind.PUT, "gone", Map.of()), TABLES))
                .hasMessageContaining("public.gone does not exist");
        assertThatThrownBy(() -> OpPlanner.plan(op(CrudOp.Kind.PATCH, "Todo \"Items\"", Map.of("upper", "x")), TABLES))
                .isInstanceOfSatisfying(RejectedOp.class, e -> {
                    assertThat(e.code()).isEqualTo(UploadErrorCode.SYNC_U2002);
                    assertThat(e.getMessage()).contains("`upper`").contains("does not exist in `Todo \"Items\"` or is generated")
                            .as("the other columns are not listed").doesNotContain("title");
                });
    }

    @Test
    void valuesBecomeTheTextPostgresParses() throws Exception {
        JsonNode values = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .readTree("[null, \"s\", 9007199254740993, 0.1, 1e999999999, true, {\"a\": [1]}, [\"x\"]]");
        assertThat(java.util.stream.StreamSupport.stream(values.spliterator(), false).map(OpPlanner::text).toList())
                .containsExactly(null, "s", "9007199254740993", "0.1", "1E+999999999", "true", "{\"a\":[1]}", "[\"x\"]");
    }

    @Test
    void jsonArraysBoundToArrayColumnsBecomePostgresArrayLiterals() throws Exception {
        ObjectMapper json = new ObjectMapper();
        // As the stock SDKs upload them: JSON text, since array columns reach clients as JSON text.
        assertThat(OpPlanner.bound("text[]", json.readTree("\"[\\\"a\\\", null, \\\"b,c\\\", \\\"NULL\\\", \\\"q\\\\\\\"\\\\\\\\\\\"]\"")))
                .isEqualTo("{\"a\",NULL,\"b,c\",\"NULL\",\"q\\\"\\\\\"}");
        assertThat(OpPlanner.bound("integer[]", json.readTree("[[1, 2], [3, 4]]"))).isEqualTo("{{\"1\",\"2\"},{\"3\",\"4\"}}");
        assertThat(OpPlanner.bound("jsonb[]", json.readTree("[{\"k\": true}]"))).isEqualTo("{\"{\\\"k\\\":true}\"}");
        assertThat(OpPlanner.bound("text[]", json.readTree("\"[]\""))).isEqualTo("{}");
        // Already PostgreSQL array text, or not an array: passed on for PostgreSQL to judge.
        assertThat(OpPlanner.bound("integer[]", json.readTree("\"{1,2}\""))).isEqualTo("{1,2}");
        assertThat(OpPlanner.bound("integer[]", json.readTree("\"[0:1]={1,2}\""))).isEqualTo("[0:1]={1,2}");
        assertThat(OpPlanner.bound("integer[]", json.readTree("7"))).isEqualTo("7");
        // Non-array columns keep the plain text, JSON arrays included (json/jsonb columns).
        assertThat(OpPlanner.bound("jsonb", json.readTree("[1]"))).isEqualTo("[1]");
        assertThat(OpPlanner.bound("text[]", null)).isNull();
    }

    @Test
    void aRowIdRenamedByTheSyncRulesIsMatchedOnItsSourceColumnAndItsPrimaryKey() {
        WritableTables.Allowed items = new WritableTables.Allowed("public", "items", "things",
                Map.of("id", "uuid", "name", "title"), Map.of("loud", "the sync rules compute it from an expression"), null);
        List<WritableTables.CatalogColumn> catalog = List.of(column("public", "items", "uuid", "uuid", false, true),
                column("public", "items", "title", "text", false, false));
        WritableTables tables = WritableTables.from(List.of(items), catalog, ITEMS_RLS, "authenticated");
        SqlPlan put = OpPlanner.plan(op(CrudOp.Kind.PUT, "things", Map.of("name", "n")), tables);
        assertThat(put.sql()).isEqualTo("INSERT INTO \"public\".\"items\" (\"uuid\", \"title\") VALUES (?::uuid, ?::text)"
                + " ON CONFLICT (\"uuid\") DO UPDATE SET \"title\" = EXCLUDED.\"title\"");
        assertThat(OpPlanner.plan(op(CrudOp.Kind.DELETE, "things", Map.of()), tables).sql())
                .isEqualTo("DELETE FROM \"public\".\"items\" WHERE \"uuid\" = ?::uuid");
        assertThatThrownBy(() -> OpPlanner.plan(op(CrudOp.Kind.PATCH, "things", Map.of("uuid", "x")), tables))
                .hasMessageContaining("is called `id`");
        assertThatThrownBy(() -> OpPlanner.plan(op(CrudOp.Kind.PATCH, "things", Map.of("nope", "x")), tables))
                .hasMessageContaining("`nope` does not exist in `things`");

        // The primary key must be the column clients hold as `id`.
        WritableTables wrongKey = WritableTables.from(List.of(items), List.of(column("public", "items", "uuid", "uuid", false, false),
                column("public", "items", "title", "text", false, true)), ITEMS_RLS, "authenticated");
        assertThat(wrongKey.find("things")).isEmpty();
        assertThat(wrongKey.whyNot("things").reason()).contains("`uuid`").contains("[title]");
        // A client name fed by several source tables is refused with the rules' reason.
        WritableTables ambiguous = WritableTables.from(List.of(new WritableTables.Allowed("public", "items", "things",
                Map.of(), Map.of(), "client table `things` is filled from two tables")), catalog, ITEMS_RLS, "authenticated");
        assertThat(ambiguous.whyNot("things").reason()).isEqualTo("client table `things` is filled from two tables");
    }
}
