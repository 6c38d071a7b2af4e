package dev.syncline.server.upload;

import java.util.Map;
import java.util.Objects;

/**
 * A table uploads may write, as read from the PostgreSQL catalog: its quoted name, the row-id
 * column and every writable column with the type its values are cast to. Only these strings ever
 * become SQL identifiers or casts; nothing the client sends does.
 *
 * @param type     the client-side name ({@code type} of a CRUD entry)
 * @param columns  column name → type as {@code format_type} spells it (e.g. {@code timestamp with time zone}),
 *                 the {@code id} column included; generated columns are left out
 */
public record WritableTable(String type, String schema, String name, Map<String, String> columns) {
    public static final String ID_COLUMN = "id";

    public WritableTable {
        Objects.requireNonNull(type, "type");
        columns = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(columns));
        if (!columns.containsKey(ID_COLUMN)) {
            throw new IllegalArgumentException(schema + "." + name + " has no `id` column");
        }
    }

    /** {@code "schema"."table"}. */
    public String qualifiedSql() {
        return quote(schema) + "." + quote(name);
    }

    public String idType() {
        return columns.get(ID_COLUMN);
    }

    /** PostgreSQL identifier quoting: double quotes, embedded quotes doubled. */
    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
