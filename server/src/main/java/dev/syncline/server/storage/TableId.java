package dev.syncline.server.storage;

import java.util.Objects;

/**
 * A source table as storage names it: namespace (schema) and name, case preserved. Storage keys
 * source rows by {@link #toString()} ({@code schema.name}), so that text must stay stable.
 */
public record TableId(String schema, String name) {
    public TableId {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return schema + "." + name;
    }
}
