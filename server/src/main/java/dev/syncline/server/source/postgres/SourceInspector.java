package dev.syncline.server.source.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the {@link SourceFacts} that {@link SourceChecks} judge, over one ordinary connection, with
 * catalog queries that work on PostgreSQL 14 to 18 and for a user without superuser.
 */
public final class SourceInspector {
    private final Connection connection;

    public SourceInspector(Connection connection) {
        this.connection = connection;
    }

    /** Reads the facts for {@code settings}; throws a classified {@link CaptureException} when the catalog is unreadable. */
    public SourceFacts inspect(PgSourceSettings settings) {
        try {
            PgServerVersion version = PgServerVersion.read(connection);
            String walLevel;
            String user;
            boolean superuser;
            boolean replication;
            int maxSlots;
            int maxSenders;
            String keepSize;
            boolean mayCreate;
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT current_setting('wal_level'), current_user, r.rolsuper, r.rolreplication, "
                            + "current_setting('max_replication_slots')::int, current_setting('max_wal_senders')::int, "
                            + "current_setting('max_slot_wal_keep_size'), "
                            + "has_database_privilege(current_user, current_database(), 'CREATE') "
                            + "FROM pg_roles r WHERE r.rolname = current_user");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                walLevel = rs.getString(1);
                user = rs.getString(2);
                superuser = rs.getBoolean(3);
                replication = rs.getBoolean(4);
                maxSlots = rs.getInt(5);
                maxSenders = rs.getInt(6);
                keepSize = rs.getString(7);
                mayCreate = rs.getBoolean(8);
            }
            // RDS and Aurora grant replication through this role instead of the attribute.
            String grant = string("SELECT min(rolname) FROM pg_roles WHERE rolname = 'rds_replication' "
                    + "AND pg_has_role(current_user, oid, 'MEMBER')");
            int usedSlots = Integer.parseInt(string("SELECT count(*) FROM pg_replication_slots"));
            int usedSenders = Integer.parseInt(string("SELECT count(*) FROM pg_stat_replication"));
            SourceFacts.Publication publication = publication(settings.publicationName());
            List<SourceFacts.Table> tables = new ArrayList<>();
            boolean ownsAllTables = true;
            for (TableName name : settings.tables()) {
                tables.add(table(name));
                ownsAllTables &= ownsTable(name);
            }
            boolean maySet = superuser || (ownsAllTables && (publication.exists()
                    ? ownsPublication(settings.publicationName()) : mayCreate));
            SlotManager.SlotStatus slot = new SlotManager(connection, version).inspect(settings.slotName()).orElse(null);
            SourceFacts.Slot slotFacts = slot == null
                    ? new SourceFacts.Slot(settings.slotName(), false, null, null, false, null, false, null)
                    : new SourceFacts.Slot(slot.name(), true, slot.plugin(), slot.database(), slot.activePid() != null,
                    slot.walStatus(), slot.invalidated(), slot.retainedBytes());
            return new SourceFacts(version, walLevel, user, superuser, replication, grant, maxSlots, usedSlots,
                    maxSenders, usedSenders, publication, maySet, tables, slotFacts, keepSize);
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot read the source's catalog");
        }
    }

    /** The connected database's name, which a slot must belong to. */
    public String database() {
        try {
            return string("SELECT current_database()");
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot read the database name");
        }
    }

    private SourceFacts.Publication publication(String name) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT p.puballtables, pg_get_userbyid(p.pubowner) "
                + "FROM pg_publication p WHERE p.pubname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new SourceFacts.Publication(name, false, false, Set.of(), null);
                }
                boolean all = rs.getBoolean(1);
                String owner = rs.getString(2);
                Set<TableName> tables = new TreeSet<>();
                try (PreparedStatement t = connection.prepareStatement(
                        "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
                    t.setString(1, name);
                    try (ResultSet trs = t.executeQuery()) {
                        while (trs.next()) {
                            tables.add(new TableName(trs.getString(1), trs.getString(2)));
                        }
                    }
                }
                return new SourceFacts.Publication(name, true, all, tables, owner);
            }
        }
    }

    private SourceFacts.Table table(TableName name) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT c.relreplident, has_table_privilege(current_user, c.oid, 'SELECT'), "
                        + "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) "
                        + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
            ps.setString(1, name.schema());
            ps.setString(2, name.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new SourceFacts.Table(name, false, false, 'd', false);
                }
                char identity = rs.getString(1).charAt(0);
                return new SourceFacts.Table(name, true, rs.getBoolean(3), identity, rs.getBoolean(2),
                        identity != 'i' || identityIndexCoversKey(name));
            }
        }
    }

    private boolean identityIndexCoversKey(TableName name) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(TableCatalog.IDENTITY_INDEX_COVERS_KEY)) {
            ps.setString(1, name.schema());
            ps.setString(2, name.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private boolean ownsPublication(String name) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT pg_has_role(current_user, pubowner, 'USAGE') FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private boolean ownsTable(TableName name) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
                        + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, name.schema());
            ps.setString(2, name.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private String string(String sql) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
