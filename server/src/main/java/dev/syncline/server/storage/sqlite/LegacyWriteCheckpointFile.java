package dev.syncline.server.storage.sqlite;

import dev.syncline.server.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Brings write checkpoints of the standalone {@code <storage file>.write-checkpoints} file (schema
 * version 2 and earlier) into the storage file, so a data directory from before keeps them. Runs
 * once at open: rows are copied in one transaction ({@code INSERT OR IGNORE}, so a crash before the
 * rename only repeats the copy), then the old file is renamed to {@code .imported} rather than
 * deleted. The server never reads it again.
 */
final class LegacyWriteCheckpointFile {
    private static final Logger log = LoggerFactory.getLogger(LegacyWriteCheckpointFile.class);

    private LegacyWriteCheckpointFile() {}

    static Path of(Path storageFile) {
        return storageFile.resolveSibling(storageFile.getFileName() + ".write-checkpoints");
    }

    /** Copies the legacy file's rows next to {@code storageFile} into {@code c}'s database, if there is one. */
    static void importInto(Connection c, Path storageFile) {
        Path legacy = of(storageFile);
        if (!Files.exists(legacy)) {
            return;
        }
        long rows;
        try (Statement s = c.createStatement()) {
            try (PreparedStatement attach = c.prepareStatement("ATTACH DATABASE ? AS legacy")) {
                attach.setString(1, legacy.toString());
                attach.execute();
            }
            try {
                rows = copy(s);
            } finally {
                s.execute("DETACH DATABASE legacy");
            }
        } catch (SQLException e) {
            throw new StorageException("cannot import write checkpoints from " + legacy + " (kept unchanged): "
                    + e.getMessage() + "; fix or move the file away and start again (docs/storage.md, schema)", e);
        }
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Path p = Path.of(legacy + suffix);
            try {
                if (Files.exists(p)) {
                    Files.move(p, Path.of(legacy + ".imported" + suffix), StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new StorageException("imported write checkpoints from " + legacy + " but cannot rename " + p
                        + ": " + e.getMessage() + "; rename or delete it by hand", e);
            }
        }
        log.info("imported {} write checkpoints from {} into {}; the old file is now {}.imported", rows, legacy,
                storageFile, legacy.getFileName());
    }

    private static long copy(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery(
                "SELECT count(*) FROM legacy.sqlite_master WHERE type = 'table' AND name = 'write_checkpoints'")) {
            if (!rs.next() || rs.getLong(1) == 0) {
                return 0;
            }
        }
        s.execute("BEGIN IMMEDIATE");
        try {
            long n = s.executeUpdate("INSERT OR IGNORE INTO main.write_checkpoints (user_id, client_id, value, lsn) "
                    + "SELECT user_id, client_id, value, lsn FROM legacy.write_checkpoints");
            s.execute("COMMIT");
            return n;
        } catch (SQLException e) {
            s.execute("ROLLBACK");
            throw e;
        }
    }
}
