package dev.syncline.server.source.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The source's PostgreSQL version ({@code server_version_num}, e.g. 150004 for 15.4) and what
 * follows from it: which catalog columns exist and which pgoutput options the walsender accepts.
 * Read once per connection; everything else here is pure.
 */
public record PgServerVersion(int number) implements Comparable<PgServerVersion> {
    /** The oldest major version Syncline supports (pgoutput's {@code messages} option and binary-safe text from 14). */
    public static final int MINIMUM_MAJOR = 14;

    public static PgServerVersion of(int major, int minor) {
        return new PgServerVersion(major * 10_000 + minor);
    }

    public int major() {
        return number / 10_000;
    }

    public int minor() {
        return number % 10_000;
    }

    public boolean atLeast(int major) {
        return major() >= major;
    }

    /**
     * Reads {@code server_version_num}. {@code SHOW} works on ordinary and on walsender
     * (replication=database) connections alike.
     */
    public static PgServerVersion read(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SHOW server_version_num")) {
            rs.next();
            return new PgServerVersion(Integer.parseInt(rs.getString(1).trim()));
        }
    }

    /** Fails with {@link CaptureError#UNSUPPORTED_VERSION} below {@link #MINIMUM_MAJOR}. */
    public PgServerVersion requireSupported() {
        if (!atLeast(MINIMUM_MAJOR)) {
            throw new CaptureException(CaptureError.UNSUPPORTED_VERSION, "the source runs PostgreSQL " + this
                    + " (server_version_num " + number + "); Syncline needs PostgreSQL " + MINIMUM_MAJOR + " or newer");
        }
        return this;
    }

    /**
     * The columns of {@code pg_replication_slots} this version has, in the order {@link SlotManager}
     * reads them: {@code wal_status} exists from 13, {@code conflicting} from 16,
     * {@code invalidation_reason} from 17. A missing column is selected as NULL so the shape stays the same.
     */
    public String slotColumns() {
        return "slot_name, plugin, database, wal_status, confirmed_flush_lsn::text, active_pid, "
                + (atLeast(17) ? "invalidation_reason" : "NULL::text AS invalidation_reason") + ", "
                + (atLeast(16) ? "conflicting" : "NULL::boolean AS conflicting") + ", "
                + "CASE WHEN restart_lsn IS NULL OR pg_is_in_recovery() THEN NULL "
                + "ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END AS retained_bytes";
    }

    /**
     * The pgoutput options for this version. {@code proto_version} stays 1 on every version: 2
     * (14+) only adds streamed in-progress transactions and 3/4 (15+/16+) two-phase and parallel
     * streaming, none of which Syncline asks for or decodes. {@code messages} (14+) carries the
     * heartbeat and write-checkpoint messages. {@code binary} (14+) is never set: values are
     * compared and stored in their text form, the same form the snapshot copy reads.
     */
    public PgOutputOptions pgoutputOptions(String publication) {
        return new PgOutputOptions(1, publication, atLeast(14), false);
    }

    /** What {@code START_REPLICATION} passes to pgoutput. */
    public record PgOutputOptions(int protoVersion, String publication, boolean messages, boolean binary) {}

    @Override
    public int compareTo(PgServerVersion o) {
        return Integer.compare(number, o.number);
    }

    @Override
    public String toString() {
        return major() + "." + minor();
    }
}
