package dev.syncline.server.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** A source table named in {@code capture.tables} or {@code upload.tables}; {@code schema} is {@code public} when not written. */
public record TableRef(String schema, String table) {
    // Unquoted PostgreSQL identifiers; quoted names with dots or capitals are not worth the ambiguity here.
    private static final Pattern NAME = Pattern.compile("(?:([A-Za-z_][A-Za-z0-9_$]*)\\.)?([A-Za-z_][A-Za-z0-9_$]*)");

    @Override
    public String toString() { return schema + "." + table; }

    /** The list under {@code key}, each as {@code schema.table} or {@code table}; bad names are reported. */
    static List<TableRef> readList(Section s, String key) {
        List<TableRef> tables = new ArrayList<>();
        for (String text : s.stringList(key)) {
            var m = NAME.matcher(text.strip());
            if (m.matches()) {
                tables.add(new TableRef(m.group(1) == null ? "public" : m.group(1), m.group(2)));
            } else {
                s.problem(key, "`" + text + "` is not a table name — write `schema.table` or `table` (schema public)");
            }
        }
        return List.copyOf(tables);
    }
}
