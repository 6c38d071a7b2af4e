package dev.syncline.server.admin;

import dev.syncline.server.source.postgres.Lsn;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The replication slot as the source database sees it, read in one query.
 *
 * @param exists       false when no slot of that name is on the source (then the LSNs are null)
 * @param current      {@code pg_current_wal_lsn()}
 * @param confirmedFlush the slot's {@code confirmed_flush_lsn}: what capture acknowledged
 * @param restart      the slot's {@code restart_lsn}: the oldest WAL the slot keeps
 * @param walRetainedBytes {@code pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)}
 * @param active       a walsender is streaming from it
 * @param walStatus    {@code wal_status} ({@code reserved}, {@code extended}, {@code unreserved}, {@code lost})
 * @param lagSeconds   PostgreSQL's {@code pg_stat_replication.flush_lag} for the walsender streaming from
 *                     the slot: how long ago the source wrote the WAL capture last confirmed as durably
 *                     stored (0 when caught up and idle, as PostgreSQL then shows none); null when no
 *                     walsender streams from the slot (capture stopped or reconnecting)
 */
public record SlotState(String name, boolean exists, Lsn current, Lsn confirmedFlush, Lsn restart,
                        Long walRetainedBytes, boolean active, String walStatus, Double lagSeconds) {

    public static SlotState read(Connection c, String slotName) throws SQLException {
        Lsn current;
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_current_wal_lsn()::text");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            current = Lsn.parse(rs.getString(1));
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT confirmed_flush_lsn::text, restart_lsn::text,"
                + " pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8, active, wal_status,"
                + " (SELECT coalesce(extract(epoch FROM r.flush_lag), 0)::float8 FROM pg_stat_replication r"
                + "  WHERE r.pid = s.active_pid)"
                + " FROM pg_replication_slots s WHERE slot_name = ?")) {
            ps.setString(1, slotName);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new SlotState(slotName, false, current, null, null, null, false, null, null);
                }
                long retained = rs.getLong(3);
                Long retainedBytes = rs.wasNull() ? null : retained;
                double lag = rs.getDouble(6);
                Double lagSeconds = rs.wasNull() ? null : lag;
                return new SlotState(slotName, true, current, lsn(rs.getString(1)), lsn(rs.getString(2)),
                        retainedBytes, rs.getBoolean(4), rs.getString(5), lagSeconds);
            }
        }
    }

    private static Lsn lsn(String text) {
        return Optional.ofNullable(text).map(Lsn::parse).orElse(null);
    }
}
