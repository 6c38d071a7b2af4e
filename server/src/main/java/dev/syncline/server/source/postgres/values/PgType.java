package dev.syncline.server.source.postgres.values;

/**
 * A PostgreSQL type as far as value mapping needs it.
 *
 * @param oid        the type's OID (for a domain, resolvers return the base type's OID)
 * @param name       {@code pg_type.typname}, used in error messages
 * @param category   {@code pg_type.typcategory}: {@code 'A'} array, {@code 'E'} enum, {@code 'B'} bool,
 *                   {@code 'N'} numeric, {@code 'S'} string, {@code 'D'} date/time, {@code 'U'} user/json, ...
 * @param elementOid the element type's OID for arrays, otherwise 0
 */
public record PgType(int oid, String name, char category, int elementOid) {

    /** What a resolver answers for an OID it cannot find: mapped as text, unchanged. */
    public static PgType unknown(int oid) {
        return new PgType(oid, "unknown(" + Integer.toUnsignedString(oid) + ")", 'U', 0);
    }

    public boolean isArray() {
        return category == 'A' && elementOid != 0;
    }
}
