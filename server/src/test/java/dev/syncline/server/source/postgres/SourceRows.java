package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.values.PgValueMapper;
import dev.syncline.server.testing.TestDatabase;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a source table directly and maps it the way capture does: the oracle the replica must equal. */
final class SourceRows {
    private SourceRows() {}

    static Map<List<SqlValue>, Map<String, SqlValue>> read(TestDatabase db, TableName name,
                                                           PgValueMapper values) {
        PgSourceSettings settings = PgSourceSettings.defaults(db.jdbcUrl(), db.user(), db.password(), List.of(name));
        try (Connection c = new PgConnections(settings).open()) {
            SourceTable table = new TableCatalog(c).describe(name).orElseThrow().table();
            RowMapper mapper = new RowMapper(values);
            Map<List<SqlValue>, Map<String, SqlValue>> out = new HashMap<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT " + String.join(", ",
                         table.columnNames().stream().map(TableName::quoteIdentifier).toList()) + " FROM "
                         + name.quoted())) {
                while (rs.next()) {
                    Map<String, SqlValue> row = new LinkedHashMap<>();
                    for (int i = 0; i < table.columns().size(); i++) {
                        row.put(table.columns().get(i).name(), mapper.map(table, i, rs.getString(i + 1)));
                    }
                    out.put(table.primaryKey().stream().map(row::get).toList(), row);
                }
            }
            return out;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
