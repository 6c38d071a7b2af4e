package dev.syncline.server.storage.sqlite;

import dev.syncline.server.storage.StorageException;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/** Opens connections to the storage file with the settings each role needs. */
final class SqliteConnections {
    private final Path file;

    SqliteConnections(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /**
     * The writer: WAL so readers never block it; synchronous=FULL because its commits confirm LSNs
     * to PostgreSQL and must survive power loss; a generous busy timeout because the compactor
     * may hold the write lock briefly; a larger auto-checkpoint so that a busy stream does not
     * copy the WAL back into the database after every few commits.
     */
    Connection openWriter() {
        return open("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=60000",
                "PRAGMA cache_size=-65536", "PRAGMA temp_store=MEMORY", "PRAGMA wal_autocheckpoint=16384");
    }

    Connection openReader() {
        return open("PRAGMA query_only=1", "PRAGMA busy_timeout=60000", "PRAGMA cache_size=-16384");
    }

    private Connection open(String... pragmas) {
        try {
            // The driver otherwise prepares and runs "SELECT last_insert_rowid()" after every INSERT
            // (a tenth of the writer's time in a profile); storage asks with RETURNING where it needs an id.
            Properties properties = new Properties();
            properties.setProperty("jdbc.get_generated_keys", "false");
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, properties);
            try (Statement s = c.createStatement()) {
                for (String p : pragmas) {
                    s.execute(p);
                }
            }
            return c;
        } catch (SQLException e) {
            throw new StorageException("cannot open storage file " + file + ": " + e.getMessage(), e);
        }
    }
}
