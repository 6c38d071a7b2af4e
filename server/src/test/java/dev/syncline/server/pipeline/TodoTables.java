package dev.syncline.server.pipeline;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.SourceTable;
import dev.syncline.server.source.postgres.SourceTable.SourceColumn;

import java.util.List;

/** Table shapes and row builders matching {@link TodoRules}, for tests without PostgreSQL. */
public final class TodoTables {
    public static final SourceTable LISTS = new SourceTable(TodoRules.LISTS, 1001,
            List.of(new SourceColumn("id", 20), new SourceColumn("owner", 25), new SourceColumn("name", 25)),
            List.of("id"), 'd');
    public static final SourceTable TODOS = new SourceTable(TodoRules.TODOS, 1002,
            List.of(new SourceColumn("id", 20), new SourceColumn("list_id", 20), new SourceColumn("title", 25),
                    new SourceColumn("done", 23)),
            List.of("id"), 'd');

    private TodoTables() {}

    public static Row list(long id, String owner, String name) {
        return new Row(LISTS, List.of(SqlValue.of(id), SqlValue.of(owner), SqlValue.of(name)));
    }

    public static Row todo(long id, long listId, String title, boolean done) {
        return new Row(TODOS, List.of(SqlValue.of(id), SqlValue.of(listId), SqlValue.of(title), SqlValue.of(done ? 1 : 0)));
    }

    public static Row todoKey(long id) {
        return new Row(TODOS, List.of(SqlValue.of(id), SqlValue.nullValue(), SqlValue.nullValue(), SqlValue.nullValue()));
    }
}
