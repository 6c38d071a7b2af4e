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
 * Keeps the publication equal to the captured tables: creates it on first start, reuses it on
 * restart, and sets its table list when the configuration changed.
 */
public final class PublicationManager {
    private static final Logger log = LoggerFactory.getLogger(PublicationManager.class);
    private final Connection connection;

    public PublicationManager(Connection connection) {
        this.connection = connection;
    }

    public void ensure(String publication, List<TableName> tables) {
        String tableList = tables.stream().map(TableName::quoted).collect(Collectors.joining(", "));
        try {
            Set<TableName> existing = publishedTables(publication);
            if (existing == null) {
                exec("CREATE PUBLICATION " + TableName.quoteIdentifier(publication) + " FOR TABLE " + tableList);
                log.info("created publication {} for {}", publication, tables);
            } else if (!existing.equals(new TreeSet<>(tables))) {
                exec("ALTER PUBLICATION " + TableName.quoteIdentifier(publication) + " SET TABLE " + tableList);
                log.info("publication {} now covers {} (was {})", publication, tables, existing);
            } else {
                log.info("reusing publication {} for {}", publication, tables);
            }
        } catch (SQLException e) {
            throw new CaptureException(CaptureError.CONNECTION, "cannot create or update publication " + publication
                    + " (the user needs CREATE on the database and ownership of the tables): " + e.getMessage(), e);
        }
    }

    /** The tables of a publication, or null if it does not exist. */
    Set<TableName> publishedTables(String publication) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
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
        return tables;
    }

    private void exec(String sql) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        }
    }
}
