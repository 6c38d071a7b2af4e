package dev.syncline.server.upload;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A {@link CrudOp} → the parameterised statement that applies it. Identifiers and casts come from
 * the {@link WritableTable} (the catalog); each client value is bound as text and converted by
 * PostgreSQL with {@code ?::type}, so PostgreSQL's own input rules decide what a value may be.
 * Pure.
 *
 * <ul>
 * <li>PUT → {@code INSERT … ON CONFLICT (id) DO UPDATE} of the given columns (columns left out keep
 *     their value, or their default on insert).
 * <li>PATCH → {@code UPDATE … SET <given columns> WHERE id = ?}.
 * <li>DELETE → {@code DELETE … WHERE id = ?}.
 * </ul>
 */
public final class OpPlanner {
    private OpPlanner() {}

    /** @throws RejectedOp for an unknown table or column */
    static SqlPlan plan(CrudOp op, WritableTables tables) {
        WritableTable table = tables.find(op.type()).orElseThrow(() -> {
            WritableTables.Refusal refusal = tables.whyNot(op.type());
            return new RejectedOp(refusal.code(), op.describe() + ": " + refusal.reason());
        });
        Map<String, JsonNode> data = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : op.data().entrySet()) {
            String column = entry.getKey();
            String why = table.derived().get(column);
            if (why != null) {
                throw new RejectedOp(UploadErrorCode.SYNC_U2002, op.describe() + ": column `" + column + "` cannot be written: "
                        + why + "; leave it out of uploads or make it a plain column in the sync rules");
            }
            String clientName = table.clientColumn(column);
            if (!clientName.equals(column) && !table.renamed().containsKey(column)) {
                throw new RejectedOp(UploadErrorCode.SYNC_U2002, op.describe() + ": column `" + column
                        + "` is called `" + clientName + "` in `" + table.type() + "` by the sync rules; upload it under that name");
            }
            String source = table.sourceColumn(column);
            if (source.equals(table.idColumn())) {
                throw new RejectedOp(UploadErrorCode.SYNC_U2002, op.describe() + ": column `" + column
                        + "` holds the row id, which travels as the op's `id`; leave it out of `data`");
            }
            if (!table.columns().containsKey(source)) {
                // Neither the source name nor the other columns: a client learns nothing it was not given.
                throw new RejectedOp(UploadErrorCode.SYNC_U2002, op.describe() + ": column `" + column
                        + "` does not exist in `" + table.type() + "` or is generated");
            }
            data.put(source, entry.getValue());
        }
        return switch (op.op()) {
            case PUT -> put(op, data, table);
            case PATCH -> patch(op, data, table);
            case DELETE -> new SqlPlan(op, table, "DELETE FROM " + table.qualifiedSql() + " WHERE " + idMatch(table),
                    List.of(op.id()), true);
        };
    }

    private static SqlPlan put(CrudOp op, Map<String, JsonNode> data, WritableTable table) {
        StringJoiner names = new StringJoiner(", ", "(", ")");
        StringJoiner values = new StringJoiner(", ", "(", ")");
        StringJoiner updates = new StringJoiner(", ");
        List<String> parameters = new ArrayList<>();
        names.add(WritableTable.quote(table.idColumn()));
        values.add(cast(table.idType()));
        parameters.add(op.id());
        for (Map.Entry<String, JsonNode> column : data.entrySet()) {
            String quoted = WritableTable.quote(column.getKey());
            names.add(quoted);
            values.add(cast(table.columns().get(column.getKey())));
            updates.add(quoted + " = EXCLUDED." + quoted);
            parameters.add(bound(table.columns().get(column.getKey()), column.getValue()));
        }
        // With no columns to set, updating the id to itself still makes PostgreSQL check the UPDATE
        // policies on an existing row, where DO NOTHING would skip another user's row in silence.
        String update = updates.length() == 0 ? WritableTable.quote(table.idColumn()) + " = EXCLUDED."
                + WritableTable.quote(table.idColumn()) : updates.toString();
        String sql = "INSERT INTO " + table.qualifiedSql() + " " + names + " VALUES " + values
                + " ON CONFLICT (" + WritableTable.quote(table.idColumn()) + ") DO UPDATE SET " + update;
        return new SqlPlan(op, table, sql, parameters, false);
    }

    private static SqlPlan patch(CrudOp op, Map<String, JsonNode> data, WritableTable table) {
        List<String> parameters = new ArrayList<>();
        StringJoiner sets = new StringJoiner(", ");
        for (Map.Entry<String, JsonNode> column : data.entrySet()) {
            String type = table.columns().get(column.getKey());
            sets.add(WritableTable.quote(column.getKey()) + " = " + cast(type));
            parameters.add(bound(type, column.getValue()));
        }
        if (sets.length() == 0) {
            // Nothing to change, but the row must still exist and be writable: same check as a real update.
            sets.add(WritableTable.quote(table.idColumn()) + " = " + WritableTable.quote(table.idColumn()));
        }
        parameters.add(op.id());
        return new SqlPlan(op, table, "UPDATE " + table.qualifiedSql() + " SET " + sets + " WHERE " + idMatch(table),
                parameters, true);
    }

    private static String idMatch(WritableTable table) {
        return WritableTable.quote(table.idColumn()) + " = " + cast(table.idType());
    }

    private static String cast(String type) {
        return "?::" + type;
    }

    /** The text bound for a value of a column of {@code type}: JSON arrays into array columns as array literals. */
    static String bound(String type, JsonNode value) {
        if (value != null && type.endsWith("[]")) {
            return PgArrayLiteral.fromJson(value).orElseGet(() -> text(value));
        }
        return text(value);
    }

    /**
     * A JSON value as the text PostgreSQL parses for the column: strings as they are, numbers in
     * their exact decimal form, booleans as true/false, objects and arrays as JSON (for json/jsonb).
     */
    static String text(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isTextual()) {
            return value.asText();
        }
        if (value.isBigDecimal()) {
            // toString, not toPlainString: 1e999999999 must not expand into a billion digits.
            return value.decimalValue().toString();
        }
        if (value.isNumber() || value.isBoolean()) {
            return value.asText();
        }
        return value.toString();
    }
}
