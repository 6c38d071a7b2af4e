package dev.syncline.server.shape;

import dev.syncline.rules.SourceTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Column types read from the PostgreSQL catalog, cached per table for {@link #TTL} so a schema
 * change shows up without a restart. A failed read answers "unknown" (inferred types) and is
 * retried at the next request rather than failing the shape.
 */
public final class PgCatalogColumnTypes implements ColumnTypes {
    private static final Logger log = LoggerFactory.getLogger(PgCatalogColumnTypes.class);
    static final Duration TTL = Duration.ofMinutes(1);
    private static final String COLUMNS = """
            SELECT a.attname,
                   CASE WHEN t.typcategory = 'A' THEN e.typname ELSE t.typname END,
                   CASE WHEN t.typcategory = 'A' THEN greatest(a.attndims, 1) ELSE 0 END,
                   a.attnotnull
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_type e ON e.oid = t.typelem
            WHERE n.nspname = ? AND c.relname = ?
            ORDER BY a.attnum""";

    private record Cached(List<PgColumn> columns, long loadedAt) {}

    private final Supplier<Connection> connections;
    private final Map<SourceTable, Cached> cache = new ConcurrentHashMap<>();

    /** @param connections opens a new connection to the source database (closed after each read) */
    public PgCatalogColumnTypes(Supplier<Connection> connections) {
        this.connections = connections;
    }

    @Override
    public List<PgColumn> columns(SourceTable table) {
        Cached c = cache.get(table);
        long now = System.nanoTime();
        if (c != null && now - c.loadedAt < TTL.toNanos()) {
            return c.columns;
        }
        try (Connection connection = connections.get();
             PreparedStatement s = connection.prepareStatement(COLUMNS)) {
            s.setString(1, table.schema());
            s.setString(2, table.name());
            List<PgColumn> columns = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    columns.add(new PgColumn(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getBoolean(4)));
                }
            }
            cache.put(table, new Cached(List.copyOf(columns), now));
            return columns;
        } catch (SQLException | RuntimeException e) {
            log.warn("reading the column types of {} failed ({}); the shape's schema is inferred from its values",
                    table, e.getMessage());
            return c == null ? List.of() : c.columns;
        }
    }
}
