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

    /**
     * An allowed table by schema and name, and how clients name it and its columns.
     *
     * @param type     the client-side name
     * @param renamed  client column → source column
     * @param derived  client columns that cannot be written → why
     * @param problem  why clients cannot write this name at all, or null
     * @param trusted  listed in {@code upload.trusted_tables}: writable without Row-Level Security
     */
    public record Allowed(String schema, String table, String type, Map<String, String> renamed,
                          Map<String, String> derived, String problem, boolean trusted) {
        public Allowed {
            renamed = Map.copyOf(renamed);
            derived = Map.copyOf(derived);
        }

        public Allowed(String schema, String table, String type, Map<String, String> renamed,
                       Map<String, String> derived, String problem) {
            this(schema, table, type, renamed, derived, problem, false);
        }

        /** Under its own name, as PowerSync names synced tables by default, columns unrenamed. */
        public Allowed(String schema, String table) {
            this(schema, table, table, Map.of(), Map.of(), null);
        }

        public Allowed trust() {
            return new Allowed(schema, table, type, renamed, derived, problem, true);
        }
    }

    /** Why a client table name cannot be written: the code to reject with and what to fix. */
    public record Refusal(UploadErrorCode code, String reason) {}

    private final Map<String, WritableTable> tables;
    private final Map<String, Refusal> unusable;

    private WritableTables(Map<String, WritableTable> tables, Map<String, Refusal> unusable) {
        this.tables = Map.copyOf(tables);
        this.unusable = Map.copyOf(unusable);
    }

    public static WritableTables empty() {
        return new WritableTables(Map.of(), Map.of());
    }

    /**
     * @param security how Row-Level Security applies to the upload role on each allowed table; a
     *                 table without an entry, or whose RLS has a gap, is writable only when trusted
     * @param role     the upload role, for the messages
     */
    public static WritableTables from(List<Allowed> allowed, List<CatalogColumn> catalog, List<RowSecurity> security,
                                      String role) {
        Map<String, WritableTable> tables = new LinkedHashMap<>();
        Map<String, Refusal> unusable = new LinkedHashMap<>();
        for (Allowed a : allowed) {
            List<CatalogColumn> columns = catalog.stream()
                    .filter(c -> c.schema().equals(a.schema()) && c.table().equals(a.table())).toList();
            String where = a.schema() + "." + a.table();
            List<String> primaryKey = columns.stream().filter(CatalogColumn::primaryKey).map(CatalogColumn::column).toList();
            String idColumn = a.renamed().getOrDefault(WritableTable.ID_COLUMN, WritableTable.ID_COLUMN);
            RowSecurity rls = security.stream().filter(r -> r.schema().equals(a.schema()) && r.table().equals(a.table()))
                    .findFirst().orElse(null);
            String rlsGap = rls == null ? "table " + where + " has no Row-Level Security information" : rls.gap(role);
            if (a.problem() != null) {
                unusable.put(a.type(), new Refusal(UploadErrorCode.SYNC_U2001, a.problem()));
            } else if (tables.containsKey(a.type())) {
                unusable.put(a.type(), new Refusal(UploadErrorCode.SYNC_U2001, "two allowed tables are both called `"
                        + a.type() + "` — keep one in upload.tables"));
                tables.remove(a.type());
            } else if (columns.isEmpty()) {
                unusable.put(a.type(), new Refusal(UploadErrorCode.SYNC_U2001, "table " + where
                        + " does not exist (or the server may not read its catalog)"));
            } else if (!primaryKey.equals(List.of(idColumn))) {
                unusable.put(a.type(), new Refusal(UploadErrorCode.SYNC_U2001, "table " + where + " cannot take uploads:"
                        + " its primary key must be the single column `" + idColumn + "` (the column clients hold as `id`),"
                        + " found " + (primaryKey.isEmpty() ? "none" : primaryKey)));
            } else if (rlsGap != null && !a.trusted()) {
                unusable.put(a.type(), new Refusal(UploadErrorCode.SYNC_U2009, "uploads to `" + a.type()
                        + "` are refused: " + rlsGap));
            } else if (!unusable.containsKey(a.type())) {
                Map<String, String> types = new LinkedHashMap<>();
                columns.stream().filter(c -> !c.generated()).forEach(c -> types.put(c.column(), c.type()));
                tables.put(a.type(), new WritableTable(a.type(), a.schema(), a.table(), types, a.renamed(), a.derived()));
            }
        }
        return new WritableTables(tables, unusable);
    }

    public Optional<WritableTable> find(String type) {
        return Optional.ofNullable(tables.get(type));
    }

    /** Why {@code type} is not writable, for the rejection. */
    public Refusal whyNot(String type) {
        Refusal refusal = unusable.get(type);
        if (refusal != null) {
            return refusal;
        }
        // Not the list of writable tables: a client learns nothing of the schema it was not given.
        return new Refusal(UploadErrorCode.SYNC_U2001, "`" + type + "` is not a writable table; the server's log lists"
                + " them at start (upload.tables, or the tables of the sync rules)");
    }

    /** Every refused client table name with its reason, for the log at catalog load. */
    public Map<String, Refusal> refusals() {
        return unusable;
    }

    /** Client names of the writable tables, for the log. */
    public java.util.Set<String> names() {
        return tables.keySet();
    }

    public int size() {
        return tables.size();
    }
}
