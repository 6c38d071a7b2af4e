package dev.syncline.server.upload;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The allow-list of uploads: client table name → {@link WritableTable}, plus, for allowed tables
 * that cannot take uploads (no primary key on {@code id}, missing from the database), the reason,
 * so a rejection can say what to fix. Built from catalog rows; pure.
 */
public final class WritableTables {
    /** One column of an allowed table as the catalog describes it. */
    public record CatalogColumn(String schema, String table, String column, String type, boolean generated,
                                boolean primaryKey) {}

    /** An allowed table by schema and name. */
    public record Allowed(String schema, String table) {
        /** The client-side name: the bare table name, as PowerSync names synced tables by default. */
        String type() { return table; }
    }

    private final Map<String, WritableTable> tables;
    private final Map<String, String> unusable;

    private WritableTables(Map<String, WritableTable> tables, Map<String, String> unusable) {
        this.tables = Map.copyOf(tables);
        this.unusable = Map.copyOf(unusable);
    }

    public static WritableTables empty() {
        return new WritableTables(Map.of(), Map.of());
    }

    public static WritableTables from(List<Allowed> allowed, List<CatalogColumn> catalog) {
        Map<String, WritableTable> tables = new LinkedHashMap<>();
        Map<String, String> unusable = new LinkedHashMap<>();
        for (Allowed a : allowed) {
            List<CatalogColumn> columns = catalog.stream()
                    .filter(c -> c.schema().equals(a.schema()) && c.table().equals(a.table())).toList();
            String where = a.schema() + "." + a.table();
            List<String> primaryKey = columns.stream().filter(CatalogColumn::primaryKey).map(CatalogColumn::column).toList();
            if (tables.containsKey(a.type())) {
                unusable.put(a.type(), "two allowed tables are both called `" + a.type() + "` — keep one in upload.tables");
                tables.remove(a.type());
            } else if (columns.isEmpty()) {
                unusable.put(a.type(), "table " + where + " does not exist (or the server may not read its catalog)");
            } else if (!primaryKey.equals(List.of(WritableTable.ID_COLUMN))) {
                unusable.put(a.type(), "table " + where + " cannot take uploads: its primary key must be the single column"
                        + " `id` (PowerSync's row id), found " + (primaryKey.isEmpty() ? "none" : primaryKey));
            } else if (!unusable.containsKey(a.type())) {
                Map<String, String> types = new LinkedHashMap<>();
                columns.stream().filter(c -> !c.generated()).forEach(c -> types.put(c.column(), c.type()));
                tables.put(a.type(), new WritableTable(a.type(), a.schema(), a.table(), types));
            }
        }
        return new WritableTables(tables, unusable);
    }

    public Optional<WritableTable> find(String type) {
        return Optional.ofNullable(tables.get(type));
    }

    /** Why {@code type} is not writable, for the rejection message. */
    public String whyNot(String type) {
        String reason = unusable.get(type);
        if (reason != null) {
            return reason;
        }
        return "`" + type + "` is not a writable table" + (tables.isEmpty() ? " (no table is writable)"
                : " — writable: " + String.join(", ", tables.keySet().stream().sorted().toList()))
                + "; add it to upload.tables or to the sync rules";
    }

    public int size() {
        return tables.size();
    }
}
