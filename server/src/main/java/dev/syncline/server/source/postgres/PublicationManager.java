package dev.syncline.server.source.postgres;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Keeps the publication covering the captured tables. When capture manages it (the default) it is
 * created on first start and its table list set when the configuration changed. A login that may
 * not do that (managed PostgreSQL without superuser or table ownership) uses a publication an admin
 * created: it must exist and cover every table, and the error names the statement the admin runs.
 */
public final class PublicationManager {
    private static final Logger log = LoggerFactory.getLogger(PublicationManager.class);
    private final Connection connection;

    public PublicationManager(Connection connection) {
        this.connection = connection;
    }

    /** What a publication holds: all tables ({@code FOR ALL TABLES}) or the listed ones. */
    record Published(boolean allTables, Set<TableName> tables) {
        boolean covers(List<TableName> wanted) {
            return allTables || tables.containsAll(wanted);
        }

        List<TableName> missing(List<TableName> wanted) {
            return allTables ? List.of() : wanted.stream().filter(t -> !tables.contains(t)).toList();
        }
    }

    public void ensure(String publication, List<TableName> tables, boolean manage) {
        String quoted = TableName.quoteIdentifier(publication);
        String tableList = tables.stream().map(TableName::quoted).collect(Collectors.joining(", "));
        String create = "CREATE PUBLICATION " + quoted + " FOR TABLE " + tableList;
        Published existing;
        try {
            existing = published(publication);
        } catch (SQLException e) {
            throw SetupFailures.classify(e, "cannot read publication " + publication);
        }
        if (existing == null) {
            if (!manage) {
                throw new CaptureException(CaptureError.PUBLICATION_NOT_PERMITTED, "publication " + publication
                        + " does not exist and capture.manage_publication is false; an admin runs: " + create);
            }
            tryExec(create, publication, create);
            log.info("created publication {} for {}", publication, tables);
            return;
        }
        boolean exact = !existing.allTables() && existing.tables().equals(new TreeSet<>(tables));
        if (exact || (existing.covers(tables) && (!manage || existing.allTables()))) {
            log.info("reusing publication {} for {}", publication, existing.allTables() ? "all tables" : tables);
            return;
        }
        String add = "ALTER PUBLICATION " + quoted + " ADD TABLE "
                + existing.missing(tables).stream().map(TableName::quoted).collect(Collectors.joining(", "));
        if (!manage) {
            throw new CaptureException(CaptureError.PUBLICATION_NOT_PERMITTED, "publication " + publication
                    + " lacks " + existing.missing(tables) + " and capture.manage_publication is false; an admin runs: "
                    + add);
        }
        try {
            exec("ALTER PUBLICATION " + quoted + " SET TABLE " + tableList);
            log.info("publication {} now covers {} (was {})", publication, tables, existing.tables());
        } catch (SQLException e) {
            if (existing.covers(tables)) {
                // Not ours to narrow (another owner); extra tables only cost some decoding.
                log.warn("publication {} also publishes tables Syncline does not read ({}); leaving it as it is: {}",
                        publication, existing.tables(), e.getMessage());
                return;
            }
            throw failure(e, publication, add);
        }
    }

    private void tryExec(String sql, String publication, String fix) {
        try {
            exec(sql);
        } catch (SQLException e) {
            throw failure(e, publication, fix);
        }
    }

    private static CaptureException failure(SQLException e, String publication, String fix) {
        CaptureError error = SetupFailures.errorOf(e);
        if (error == CaptureError.PUBLICATION_NOT_OWNED || error == CaptureError.PUBLICATION_NOT_PERMITTED
                || error == CaptureError.TABLE_NOT_READABLE) {
            // e.g. "must be owner of table todos": only an owner or admin can publish it.
            error = error == CaptureError.TABLE_NOT_READABLE ? CaptureError.PUBLICATION_NOT_PERMITTED : error;
            return new CaptureException(error, "cannot create or change publication " + publication + " ("
                    + e.getMessage() + "); an admin runs: " + fix
                    + " — or set capture.manage_publication: false once it exists", e);
        }
        return SetupFailures.classify(e, "cannot create or change publication " + publication);
    }

    /** The publication's tables, or null if it does not exist. */
    Published published(String publication) throws SQLException {
        boolean all;
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT puballtables FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                all = rs.getBoolean(1);
            }
        }
        Set<TableName> tables = new TreeSet<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(new TableName(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return new Published(all, tables);
    }

    private void exec(String sql) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        }
    }
}
