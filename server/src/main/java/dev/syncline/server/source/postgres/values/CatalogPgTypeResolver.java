package dev.syncline.server.source.postgres.values;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Resolves user-defined types (enums, domains, arrays of them) from {@code pg_type}: built-ins
 * first, otherwise one catalog query per OID, cached for the resolver's lifetime. Domains resolve
 * to their base type (through domains over domains), so a domain over int8 maps as int8.
 *
 * <p>The adapter half of value mapping: {@link PgValueMapper} stays pure and is tested with
 * {@link BuiltinPgTypes} or a hand-written resolver. Each lookup takes a connection from the
 * supplier and closes it, so supply fresh (pooled) connections, never the replication connection.
 * Thread-safe; two threads may look up the same OID at once, which is harmless. Failed lookups are
 * not cached. A type altered after it was cached (a domain's base type cannot change; an enum's
 * labels can, but labels do not matter here) needs no invalidation.
 */
public final class CatalogPgTypeResolver implements PgTypeResolver {
    private static final String QUERY =
            "SELECT typname, typcategory, typelem, typtype, typbasetype FROM pg_catalog.pg_type WHERE oid = ?::oid";
    private static final int MAX_DOMAIN_DEPTH = 32;

    private final Supplier<Connection> connections;
    private final Map<Integer, PgType> cache = new ConcurrentHashMap<>();

    public CatalogPgTypeResolver(DataSource dataSource) {
        this(() -> {
            try {
                return dataSource.getConnection();
            } catch (SQLException e) {
                throw new IllegalStateException("cannot connect to look up a PostgreSQL type: " + e.getMessage(), e);
            }
        });
    }

    public CatalogPgTypeResolver(Supplier<Connection> connections) {
        this.connections = Objects.requireNonNull(connections, "connections");
    }

    @Override
    public PgType resolve(int oid) {
        var builtin = BuiltinPgTypes.find(oid);
        if (builtin.isPresent()) {
            return builtin.get();
        }
        PgType cached = cache.get(oid);
        if (cached != null) {
            return cached;
        }
        PgType type = lookup(oid, 0);
        cache.put(oid, type);
        return type;
    }

    private PgType lookup(int oid, int depth) {
        if (depth > MAX_DOMAIN_DEPTH) {
            throw new IllegalStateException("domain chain deeper than " + MAX_DOMAIN_DEPTH + " at type oid " + oid);
        }
        Row row = fetch(oid);
        if (row == null) {
            return PgType.unknown(oid);
        }
        if (row.type == 'd') {
            // The connection is already closed here, so a pool of one connection cannot deadlock.
            return BuiltinPgTypes.find(row.baseOid).orElseGet(() -> lookup(row.baseOid, depth + 1));
        }
        return new PgType(oid, row.name, row.category, row.elementOid);
    }

    private record Row(String name, char category, int elementOid, char type, int baseOid) {}

    private Row fetch(int oid) {
        try (Connection c = connections.get(); PreparedStatement s = c.prepareStatement(QUERY)) {
            s.setLong(1, Integer.toUnsignedLong(oid));
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return new Row(rs.getString(1), rs.getString(2).charAt(0), (int) rs.getLong(3),
                        rs.getString(4).charAt(0), (int) rs.getLong(5));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot look up PostgreSQL type oid " + Integer.toUnsignedString(oid)
                    + ": " + e.getMessage(), e);
        }
    }
}
