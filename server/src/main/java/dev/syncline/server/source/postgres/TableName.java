package dev.syncline.server.source.postgres;

import java.util.Objects;

/** A schema-qualified PostgreSQL table name, as written (case preserved). */
public record TableName(String schema, String name) implements Comparable<TableName> {
    public TableName {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }

    /** Parses {@code table} (schema {@code public}) or {@code schema.table}; no quoting support. */
    public static TableName parse(String text) {
        int dot = text.indexOf('.');
        return dot < 0 ? new TableName("public", text) : new TableName(text.substring(0, dot), text.substring(dot + 1));
    }

    /** The name quoted as an SQL identifier, safe to splice into SQL text. */
    public String quoted() {
        return quoteIdentifier(schema) + "." + quoteIdentifier(name);
    }

    public static String quoteIdentifier(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    @Override
    public int compareTo(TableName o) {
        int c = schema.compareTo(o.schema);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return schema + "." + name;
    }
}
