package dev.syncline.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientTableTest {

    private static Map<String, ClientTable> tables(String yaml) {
        List<ClientTable> list = SyncRules.compile(yaml).clientTables();
        return list.stream().collect(java.util.stream.Collectors.toMap(ClientTable::name, t -> t));
    }

    @Test
    void aliasedTablesAndRenamedColumnsMapBackToTheirSource() {
        Map<String, ClientTable> t = tables("""
                bucket_definitions:
                  mine:
                    parameters: SELECT request.user_id() AS user_id
                    data:
                      - SELECT * FROM todos AS tasks WHERE owner_id = bucket.user_id
                      - SELECT uuid AS id, title AS name, upper(title) AS shout, done FROM app.items WHERE owner_id = bucket.user_id
                      - SELECT * FROM lists WHERE owner_id = bucket.user_id
                """);
        assertThat(t.keySet()).containsExactlyInAnyOrder("tasks", "items", "lists");
        assertThat(t.get("tasks").source()).isEqualTo(new SourceTable("public", "todos"));
        assertThat(t.get("tasks").renamed()).isEmpty();
        assertThat(t.get("tasks").sourceColumn("title")).isEqualTo("title");

        ClientTable items = t.get("items");
        assertThat(items.source()).isEqualTo(new SourceTable("app", "items"));
        assertThat(items.renamed()).containsExactlyInAnyOrderEntriesOf(Map.of("id", "uuid", "name", "title"));
        assertThat(items.sourceColumn("id")).isEqualTo("uuid");
        assertThat(items.sourceColumn("done")).isEqualTo("done");
        assertThat(items.derived()).containsOnlyKeys("shout");
        assertThat(items.problem()).isNull();
    }

    @Test
    void conflictingMappingsMakeAColumnOrATableUnwritableWithTheReason() {
        Map<String, ClientTable> t = tables("""
                bucket_definitions:
                  a:
                    data:
                      - SELECT id, title AS name, body AS note FROM todos
                      - SELECT * FROM archived_todos AS old
                      - SELECT * FROM todos AS old
                  b:
                    data:
                      - SELECT id, label AS name, note FROM todos
                """);
        ClientTable todos = t.get("todos");
        assertThat(todos.derived()).containsOnlyKeys("name", "note");
        assertThat(todos.derived().get("name")).contains("`title`").contains("`label`");
        assertThat(todos.renamed()).isEmpty();
        assertThat(t.get("old").source()).isEqualTo(new SourceTable("public", "archived_todos"));
        assertThat(t.get("old").problem()).contains("public.archived_todos").contains("public.todos");
    }
}
