package dev.syncline.server.source.postgres;

import java.util.List;
import java.util.Set;

/**
 * What {@link SourceInspector} read from the source for {@link SourceChecks}: plain values, so the
 * checks themselves are pure and testable without a database.
 *
 * @param replicationGrant the provider role that grants replication ({@code rds_replication},
 *        {@code azure_pg_admin}...) the user is a member of, or null
 * @param maySetPublication whether the user may create the publication and set its tables
 *        (superuser, or CREATE on the database and ownership of every table / the publication)
 */
public record SourceFacts(PgServerVersion version, String walLevel, String user, boolean superuser,
                          boolean replicationAttribute, String replicationGrant, int maxReplicationSlots,
                          int usedReplicationSlots, int maxWalSenders, int usedWalSenders,
                          Publication publication, boolean maySetPublication, List<Table> tables, Slot slot,
                          String maxSlotWalKeepSize) {
    /** A publication as found: null fields mean it does not exist. */
    public record Publication(String name, boolean exists, boolean allTables, Set<TableName> tables, String owner) {}

    /** One captured table: {@code exists} false leaves the rest meaningless. */
    /** @param identityCoversKey with replica identity {@code 'i'}: its index holds every primary-key column */
    public record Table(TableName name, boolean exists, boolean hasPrimaryKey, char replicaIdentity,
                        boolean readable, boolean identityCoversKey) {
        public Table(TableName name, boolean exists, boolean hasPrimaryKey, char replicaIdentity, boolean readable) {
            this(name, exists, hasPrimaryKey, replicaIdentity, readable, true);
        }
    }

    /** The replication slot, if it exists ({@code exists} false otherwise). */
    public record Slot(String name, boolean exists, String plugin, String database, boolean active, String walStatus,
                       boolean invalidated, Long retainedBytes) {}
}
