package dev.syncline.server.shape;

import dev.syncline.rules.ClientTable;
import dev.syncline.rules.SourceTable;

import java.util.List;

/**
 * The table a shape names, resolved against the sync rules: Electric's {@code table} parameter is a
 * PostgreSQL table ({@code todos}, {@code public.todos}, quoted or not) or, for tables the rules
 * rename, the client table name. The rows come from the ops of {@code clientTable}.
 *
 * @param clientTable the name the rules give the rows (the ops' object type)
 * @param source      the PostgreSQL table they come from
 * @param client      the rules' mapping of client columns to source columns
 */
public record ShapeTable(String clientTable, SourceTable source, ClientTable client) {

    /** @throws ShapeException 400 when no data query of the rules reads the table */
    public static ShapeTable resolve(String table, List<ClientTable> tables) {
        if (table == null || table.isBlank()) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2001, "the `table` parameter is required, e.g. table=todos");
        }
        SourceTable wanted = SourceTable.parse(unquote(table.trim()));
        for (ClientTable t : tables) {
            if (t.problem() == null && t.source().equals(wanted)) {
                return new ShapeTable(t.name(), t.source(), t);
            }
        }
        for (ClientTable t : tables) {
            if (wanted.schema().equals(SourceTable.DEFAULT_SCHEMA) && t.name().equals(wanted.name())) {
                return new ShapeTable(t.name(), t.source(), t);
            }
        }
        throw new ShapeException(ShapeErrorCode.SHAPE_R2006, "table `" + table + "` is not synced: no data query of the sync "
                + "rules reads it, so no user may read it as a shape; tables the rules read: "
                + tables.stream().map(t -> t.source().qualifiedName()).distinct().sorted().toList());
    }

    /** {@code "Schema"."Table"} → {@code Schema.Table}; unquoted names fold to lower case as in PostgreSQL. */
    private static String unquote(String name) {
        StringBuilder out = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '"') {
                if (quoted && i + 1 < name.length() && name.charAt(i + 1) == '"') {
                    out.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else {
                out.append(quoted ? c : Character.toLowerCase(c));
            }
        }
        return out.toString();
    }

    /** Electric's row key: {@code "schema"."table"/"id"}. */
    public String key(String id) {
        return "\"" + source.schema() + "\".\"" + source.name() + "\"/\"" + id.replace("/", "//") + "\"";
    }
}
