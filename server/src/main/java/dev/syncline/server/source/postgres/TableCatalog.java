package dev.syncline.server.source.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads table shapes from {@code pg_catalog}: columns with their type OIDs (generated columns left
 * out, as pgoutput leaves them out), the primary key, the replica identity and a row estimate.
 */
public final class TableCatalog {
    private final Connection connection;

    public TableCatalog(Connection connection) {
        this.connection = connection;
    }

    /** A table's shape plus what the snapshot needs to bind key values. */
    public record TableInfo(SourceTable table, List<String> keyTypes, long estimatedRows) {}

    public Optional<TableInfo> describe(TableName name) {
        try {
            Integer oid = null;
            char identity = 'd';
            long estimate = 0;
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT c.oid, c.relreplident, c.reltuples::bigint FROM pg_class c "
                            + "JOIN pg_namespace n ON n.oid = c.relnamespace "
                            + "WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
                ps.setString(1, name.schema());
                ps.setString(2, name.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        oid = (int) rs.getLong(1);
                        identity = rs.getString(2).charAt(0);
                        estimate = Math.max(0, rs.getLong(3));
                    }
                }
            }
            if (oid == null) {
                return Optional.empty();
            }
            List<SourceTable.SourceColumn> columns = new ArrayList<>();
            List<String> key = new ArrayList<>();
            List<String> keyTypes = new ArrayList<>();
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT a.attname, a.atttypid, format_type(a.atttypid, a.atttypmod), "
                            + "  coalesce((SELECT k.ord FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
                            + "            WHERE k.attnum = a.attnum), 0) AS key_pos "
                            + "FROM pg_attribute a "
                            + "LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
                            + "WHERE a.attrelid = (?::bigint)::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
                            + "ORDER BY a.attnum")) {
                ps.setLong(1, Integer.toUnsignedLong(oid));
                List<String[]> keyColumns = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        columns.add(new SourceTable.SourceColumn(rs.getString(1), (int) rs.getLong(2)));
                        int keyPosition = rs.getInt(4);
                        if (keyPosition > 0) {
                            keyColumns.add(new String[] {String.valueOf(keyPosition), rs.getString(1), rs.getString(3)});
                        }
                    }
                }
                keyColumns.sort((a, b) -> Integer.compare(Integer.parseInt(a[0]), Integer.parseInt(b[0])));
                for (String[] k : keyColumns) {
                    key.add(k[1]);
                    keyTypes.add(k[2]);
                }
            }
            return Optional.of(new TableInfo(new SourceTable(name, oid, columns, key, identity), keyTypes, estimate));
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot read the catalog for " + name);
        }
    }

    /** Describes every table, failing with a typed error for a missing table or one without a primary key. */
    public List<TableInfo> describeAll(List<TableName> names) {
        List<TableInfo> infos = new ArrayList<>();
        for (TableName name : names) {
            TableInfo info = describe(name).orElseThrow(() -> new CaptureException(CaptureError.TABLE_MISSING,
                    "table " + name + " does not exist in the source database"));
            if (info.table().primaryKey().isEmpty()) {
                throw new CaptureException(CaptureError.TABLE_WITHOUT_KEY, "table " + name + " has no primary key");
            }
            if (info.table().replicaIdentity() == 'n') {
                throw new CaptureException(CaptureError.TABLE_WITHOUT_REPLICA_IDENTITY, "table " + name
                        + " has REPLICA IDENTITY NOTHING; fix: ALTER TABLE " + name.quoted() + " REPLICA IDENTITY DEFAULT");
            }
            if (info.table().replicaIdentity() == 'i' && !identityIndexCoversKey(name)) {
                throw new CaptureException(CaptureError.TABLE_WITHOUT_REPLICA_IDENTITY, "table " + name
                        + " has REPLICA IDENTITY USING INDEX on an index without every primary-key column, so its "
                        + "deletes and key changes arrive without the row's key; fix: ALTER TABLE " + name.quoted()
                        + " REPLICA IDENTITY DEFAULT");
            }
            infos.add(info);
        }
        return infos;
    }

    /**
     * For a table with {@code REPLICA IDENTITY USING INDEX}: whether that index holds every
     * primary-key column. Rows are keyed by the primary key, and the old key pgoutput sends with a
     * DELETE or a key-changing UPDATE holds only the identity index's columns.
     */
    static final String IDENTITY_INDEX_COVERS_KEY = "SELECT coalesce((SELECT p.indkey::int2[] <@ r.indkey::int2[] "
            + "FROM pg_index p JOIN pg_index r ON r.indrelid = p.indrelid AND r.indisreplident "
            + "WHERE p.indrelid = c.oid AND p.indisprimary), false) FROM pg_class c "
            + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?";

    private boolean identityIndexCoversKey(TableName name) {
        try (PreparedStatement ps = connection.prepareStatement(IDENTITY_INDEX_COVERS_KEY)) {
            ps.setString(1, name.schema());
            ps.setString(2, name.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot read the replica identity index of " + name);
        }
    }

    /** Fails clearly unless the server runs with {@code wal_level = logical}. */
    public void requireLogicalWal() {
        try (PreparedStatement ps = connection.prepareStatement("SELECT current_setting('wal_level')");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            String level = rs.getString(1);
            if (!"logical".equals(level)) {
                throw new CaptureException(CaptureError.WAL_LEVEL_NOT_LOGICAL,
                        "the source runs with wal_level = " + level);
            }
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot read wal_level");
        }
    }

    /**
     * The WAL insert position, at or past the commit record of every transaction a snapshot taken
     * before this call can see. Not {@code pg_current_wal_lsn()}: that is the write position, which
     * lags behind commits made with {@code synchronous_commit = off}.
     */
    public Lsn currentWalLsn() {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_current_wal_insert_lsn()::text");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot read the WAL position");
        }
    }
}
