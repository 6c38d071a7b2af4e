package dev.syncline.server.source.postgres.values;

/**
 * Finds the {@link PgType} for a type OID, as named in pgoutput Relation messages or a result set.
 * Implementations resolve domains to their base type.
 */
@FunctionalInterface
public interface PgTypeResolver {

    /** Never null: an OID the resolver does not know yields {@link PgType#unknown(int)}. */
    PgType resolve(int oid);
}
