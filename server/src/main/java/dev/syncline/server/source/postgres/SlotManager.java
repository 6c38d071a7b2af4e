package dev.syncline.server.source.postgres;

import org.postgresql.PGConnection;
import org.postgresql.replication.ReplicationSlotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** Inspects, creates, validates and drops the logical replication slot. */
public final class SlotManager {
    private static final Logger log = LoggerFactory.getLogger(SlotManager.class);
    static final String PLUGIN = "pgoutput";

    private final Connection connection;
    private final PgServerVersion version;

    /** @param version the server version of {@code connection}, which decides the catalog columns read */
    public SlotManager(Connection connection, PgServerVersion version) {
        this.connection = connection;
        this.version = version;
    }

    /**
     * What {@code pg_replication_slots} says about a slot. {@code invalidationReason} (17+) and
     * {@code conflicting} (16+) are null where the server has no such column; {@code retainedBytes}
     * is the WAL the slot holds back (null on a standby or before the slot reserved any).
     */
    public record SlotStatus(String name, String plugin, String database, String walStatus, Lsn confirmedFlush,
                             Integer activePid, String invalidationReason, Boolean conflicting, Long retainedBytes) {
        public boolean invalidated() {
            return "lost".equals(walStatus) || invalidationReason != null || Boolean.TRUE.equals(conflicting);
        }
    }

    /** A freshly created slot and the snapshot exported with it (valid while its connection stays open and idle). */
    public record CreatedSlot(String name, Lsn consistentPoint, String snapshotName) {}

    public Optional<SlotStatus> inspect(String slot) {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT " + version.slotColumns() + " FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String confirmed = rs.getString(5);
                // NULL while no walsender holds the slot (getInt would say 0)
                Integer pid = (Integer) rs.getObject(6);
                return Optional.of(new SlotStatus(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        confirmed == null ? Lsn.ZERO : Lsn.parse(confirmed), pid,
                        rs.getString(7), (Boolean) rs.getObject(8), (Long) rs.getObject(9)));
            }
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot inspect replication slot " + slot + " on PostgreSQL " + version);
        }
    }

    /**
     * Returns the slot's status, failing with a typed error when it is unusable: missing,
     * invalidated (WAL removed), of another plugin or database.
     */
    public SlotStatus requireUsable(String slot, String database) {
        SlotStatus status = inspect(slot).orElseThrow(() -> new CaptureException(CaptureError.SLOT_MISSING,
                "replication slot " + slot + " does not exist"));
        if (status.invalidated()) {
            throw new CaptureException(CaptureError.SLOT_INVALIDATED, "replication slot " + slot
                    + " is invalidated (wal_status=" + status.walStatus() + ", reason=" + status.invalidationReason()
                    + ", confirmed_flush_lsn=" + status.confirmedFlush() + ")");
        }
        if (!PLUGIN.equals(status.plugin()) || (database != null && !database.equals(status.database()))) {
            throw new CaptureException(CaptureError.SLOT_INCOMPATIBLE, "replication slot " + slot + " uses plugin "
                    + status.plugin() + " on database " + status.database());
        }
        return status;
    }

    /** Creates the slot on a replication connection, exporting a snapshot for the initial copy. */
    public static CreatedSlot create(Connection replicationConnection, String slot) {
        try {
            ReplicationSlotInfo info = replicationConnection.unwrap(PGConnection.class).getReplicationAPI()
                    .createReplicationSlot().logical().withSlotName(slot).withOutputPlugin(PLUGIN).make();
            Lsn consistent = new Lsn(info.getConsistentPoint().asLong());
            log.info("created replication slot {} at {} with exported snapshot {}", slot, consistent,
                    info.getSnapshotName());
            return new CreatedSlot(slot, consistent, info.getSnapshotName());
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot create replication slot " + slot);
        }
    }

    public void drop(String slot) {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
            ps.setString(1, slot);
            ps.execute();
            log.info("dropped replication slot {}", slot);
        } catch (SQLException e) {
            if ("55006".equals(e.getSQLState())) {
                throw new CaptureException(CaptureError.SLOT_IN_USE, "replication slot " + slot + " is active", e);
            }
            throw SetupFailures.classify(e, "cannot drop replication slot " + slot);
        }
    }
}
