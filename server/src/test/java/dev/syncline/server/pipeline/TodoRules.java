package dev.syncline.server.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.ParameterEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hand-written sync rules for tests, standing in for the compiled rules:
 * <pre>
 * by_list:   parameters: SELECT id AS list_id FROM lists WHERE owner = token.sub
 *            data:       SELECT * FROM todos WHERE list_id = bucket.list_id
 * everything: data: SELECT * FROM lists; SELECT * FROM todos WHERE done = 0
 * </pre>
 * so a todo sits in one or two buckets, a list in one, and lists feed the parameter index.
 */
public final class TodoRules implements RowEvaluator {
    public static final TableName LISTS = TableName.parse("lists");
    public static final TableName TODOS = TableName.parse("todos");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public List<BucketRow> dataRows(TableName table, Map<String, SqlValue> row) {
        List<BucketRow> out = new ArrayList<>();
        String id = text(row.get("id"));
        if (table.equals(LISTS)) {
            out.add(new BucketRow("everything[]", "lists", id, json(row)));
        } else if (table.equals(TODOS)) {
            SqlValue listId = row.get("list_id");
            if (!(listId instanceof SqlValue.Null)) {
                out.add(new BucketRow("by_list[" + JSON.valueToTree(text(listId)) + "]", "todos", id, json(row)));
            }
            if (row.get("done") instanceof SqlValue.Int d && d.value() == 0) {
                out.add(new BucketRow("everything[]", "todos", id, json(row)));
            }
        }
        return out;
    }

    @Override
    public List<ParameterEntry> parameterRows(TableName table, Map<String, SqlValue> row) {
        if (!table.equals(LISTS) || row.get("owner") instanceof SqlValue.Null) {
            return List.of();
        }
        return List.of(new ParameterEntry("[\"by_list\",0," + JSON.valueToTree(text(row.get("owner"))) + "]",
                "[" + JSON.valueToTree(text(row.get("id"))) + "]"));
    }

    static String text(SqlValue v) {
        return switch (v) {
            case SqlValue.Null n -> "";
            case SqlValue.Int i -> Long.toString(i.value());
            case SqlValue.Real r -> Double.toString(r.value());
            case SqlValue.Text t -> t.value();
        };
    }

    static String json(Map<String, SqlValue> row) {
        ObjectNode o = JSON.createObjectNode();
        row.forEach((k, v) -> {
            switch (v) {
                case SqlValue.Null n -> o.putNull(k);
                case SqlValue.Int i -> o.put(k, i.value());
                case SqlValue.Real r -> o.put(k, r.value());
                case SqlValue.Text t -> o.put(k, t.value());
            }
        });
        if (row.get("id") instanceof SqlValue.Int i) {
            o.put("id", Long.toString(i.value()));   // client rows carry a text id
        }
        return o.toString();
    }
}
