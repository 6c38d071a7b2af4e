package dev.syncline.server.upload;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A table uploads may write, as read from the PostgreSQL catalog: its quoted name, the row-id
 * column and every writable column with the type its values are cast to, plus how the client's
 * column names map onto it when the sync rules rename them. Only these strings ever become SQL
 * identifiers or casts; nothing the client sends does.
 *
 * @param type     the client-side name ({@code type} of a CRUD entry)
 * @param columns  source column name → type as {@code format_type} spells it (e.g. {@code timestamp with time zone}),
 *                 the id column included; generated columns are left out
 * @param renamed  client column → source column, where the sync rules output a column under another name
 * @param derived  client columns the sync rules compute (not writable) → why
 */
public record WritableTable(String type, String schema, String name, Map<String, String> columns,
                            Map<String, String> renamed, Map<String, String> derived) {
    /** The client-side row id column (PowerSync's `id`). */
    public static final String ID_COLUMN = "id";

    public WritableTable {
        Objects.requireNonNull(type, "type");
        columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
        renamed = Map.copyOf(renamed);
        derived = Map.copyOf(derived);
        if (!columns.containsKey(sourceColumn(renamed, ID_COLUMN))) {
            throw new IllegalArgumentException(schema + "." + name + " has no `" + sourceColumn(renamed, ID_COLUMN) + "` column");
        }
    }

    public WritableTable(String type, String schema, String name, Map<String, String> columns) {
        this(type, schema, name, columns, Map.of(), Map.of());
    }

    /** {@code "schema"."table"}. */
    public String qualifiedSql() {
        return quote(schema) + "." + quote(name);
    }

    /** The source column holding the row id: {@code id}, or what the rules output as {@code id}. */
    public String idColumn() {
        return sourceColumn(renamed, ID_COLUMN);
    }

    public String idType() {
        return columns.get(idColumn());
    }

    /** The source column a client column is written to. */
    public String sourceColumn(String clientColumn) {
        return sourceColumn(renamed, clientColumn);
    }

    /** The client's name for a source column: the name the sync rules give it, or its own. */
    public String clientColumn(String sourceColumn) {
        for (Map.Entry<String, String> e : renamed.entrySet()) {
            if (e.getValue().equals(sourceColumn)) {
                return e.getKey();
            }
        }
        return sourceColumn;
    }

    private static String sourceColumn(Map<String, String> renamed, String clientColumn) {
        return renamed.getOrDefault(clientColumn, clientColumn);
    }

    /** PostgreSQL identifier quoting: double quotes, embedded quotes doubled. */
    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
