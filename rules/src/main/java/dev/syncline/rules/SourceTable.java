package dev.syncline.rules;

import java.util.Objects;

/** A PostgreSQL table the rules read; a table named without a schema is in {@code public}. */
public record SourceTable(String schema, String name) {

    public static final String DEFAULT_SCHEMA = "public";

    public SourceTable {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }

    /** Parses {@code schema.table} or {@code table}. */
    public static SourceTable parse(String qualified) {
        int dot = qualified.indexOf('.');
        return dot < 0 ? new SourceTable(DEFAULT_SCHEMA, qualified)
                : new SourceTable(qualified.substring(0, dot), qualified.substring(dot + 1));
    }

    public String qualifiedName() {
        return schema + "." + name;
    }

    @Override
    public String toString() {
        return qualifiedName();
    }
}
