package dev.syncline.server.source.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/** Reads what {@link SlotGuard} decides on: the source's system identifier and who holds the slot. */
final class SlotProbe {
    private SlotProbe() {}

    /** {@code IDENTIFY_SYSTEM}: the cluster's system identifier (kept by physical replicas) and the database. */
    record SourceSystem(String systemId, String database) {}

    static SourceSystem identify(Connection replication) {
        try (Statement s = replication.createStatement(); ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
            rs.next();
            return new SourceSystem(rs.getString("systemid"), rs.getString("dbname"));
        } catch (SQLException e) {
            throw new CaptureException(CaptureError.CONNECTION, "IDENTIFY_SYSTEM failed: " + e.getMessage(), e);
        }
    }

    /** The slot as {@link SlotGuard} sees it, with the {@code application_name} of the walsender holding it. */
    static Optional<SlotGuard.Observed> observe(SlotManager slots, Connection catalog, String slot) {
        return slots.inspect(slot).map(s -> SlotGuard.Observed.of(s, s.activePid() == null
                ? null : applicationOf(catalog, s.activePid())));
    }

    private static String applicationOf(Connection catalog, int pid) {
        try (PreparedStatement ps = catalog.prepareStatement(
                "SELECT application_name FROM pg_stat_activity WHERE pid = ?")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            return null;   // unknown: the slot-busy wait decides
        }
    }
}
