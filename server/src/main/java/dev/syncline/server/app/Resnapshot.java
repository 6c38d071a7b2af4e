package dev.syncline.server.app;

import dev.syncline.server.config.PostgresConnectionConfig;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.StorageLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;

/**
 * The operator's answer to a slot incident ({@code SYNC_C1101}, {@code C1102}, {@code C1105}):
 * {@code syncline serve --resnapshot} discards the bucket storage and the replication slot of
 * {@code capture.slot_name}, so that the server then starts as on an empty installation — new
 * slot, full copy — and no change can be missing. Refuses, deleting nothing, while another
 * process holds the storage or streams from the slot. Clients keep their local data meanwhile
 * and, once the copy is consistent, get their buckets reset by checksum (docs/operations.md).
 */
public final class Resnapshot {
    private static final Logger log = LoggerFactory.getLogger(Resnapshot.class);

    private Resnapshot() {}

    public static void run(SynclineConfig config) {
        PostgresConnectionConfig source = config.replication().connection();
        dev.syncline.server.generation.GenerationNames names = dev.syncline.server.generation.GenerationNames.of(config);
        Path manifest = names.manifest();
        if (config.storage().path() == null || !Files.exists(manifest)) {
            run(config.storage().path(), source.jdbcUrl(), source.jdbcProperties(), config.capture().slotName());
            return;
        }
        // Storage generations (docs/operations.md, deploying new sync rules): every generation's slot
        // and file go, then the manifest, so the next start is a new installation again.
        int nextId = dev.syncline.server.generation.GenerationManifest.read(manifest).orElseThrow().nextId();
        try (StorageLock lock = StorageLock.acquire(config.storage().path());
             Connection c = DriverManager.getConnection(source.jdbcUrl(), source.jdbcProperties())) {
            for (int id = 0; id < nextId; id++) {
                refuseIfActive(c, names.slot(id));   // before anything is deleted
            }
            for (int id = 0; id < nextId; id++) {
                dropSlot(c, names.slot(id));
                deleteFiles(names.storage(id));
            }
            Files.deleteIfExists(manifest);
            log.warn("resnapshot: storage generations 0..{} and their slots discarded; the server now copies "
                    + "everything again", nextId - 1);
        } catch (SQLException e) {
            throw new StorageException("resnapshot failed: cannot drop the replication slots of " + names.storage(0)
                    + " on " + source.jdbcUrl() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StorageException("resnapshot failed: cannot delete " + manifest + ": " + e.getMessage()
                    + " — delete it by hand", e);
        }
    }

    private static void refuseIfActive(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    int pid = rs.getInt(1);
                    if (!rs.wasNull()) {
                        throw new IllegalStateException("replication slot " + slot + " is in use by pid " + pid
                                + " (another Syncline server with the same capture.slot_name?); nothing was "
                                + "deleted — stop that process, or give this server its own capture.slot_name");
                    }
                }
            }
        }
    }

    private static void dropSlot(Connection c, String slot) throws SQLException {
        try (PreparedStatement drop = c.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            drop.setString(1, slot);
            try (ResultSet rs = drop.executeQuery()) {
                if (rs.next()) {
                    log.warn("resnapshot: dropped replication slot {}", slot);
                }
            }
        }
    }

    private static void deleteFiles(Path storageFile) throws IOException {
        for (String suffix : List.of("", "-wal", "-shm")) {
            Path file = Path.of(storageFile + suffix);
            if (Files.deleteIfExists(file)) {
                log.warn("resnapshot: deleted {}", file);
            }
        }
    }

    /** Drops {@code slot} (if it exists and is not in use) and deletes the storage files, under the storage lock. */
    public static void run(Path storageFile, String jdbcUrl, Properties connection, String slot) {
        try (StorageLock lock = StorageLock.acquire(storageFile);
             Connection c = DriverManager.getConnection(jdbcUrl, connection)) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        int pid = rs.getInt(1);
                        if (!rs.wasNull()) {
                            throw new IllegalStateException("replication slot " + slot + " is in use by pid " + pid
                                    + " (another Syncline server with the same capture.slot_name?); nothing was "
                                    + "deleted — stop that process, or give this server its own capture.slot_name");
                        }
                        try (PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                            drop.setString(1, slot);
                            drop.execute();
                        }
                        log.warn("resnapshot: dropped replication slot {}", slot);
                    }
                }
            }
            for (String suffix : List.of("", "-wal", "-shm")) {
                Path file = Path.of(storageFile + suffix);
                if (Files.deleteIfExists(file)) {
                    log.warn("resnapshot: deleted {}", file);
                }
            }
            log.warn("resnapshot: storage {} and slot {} discarded; the server now copies everything again",
                    storageFile, slot);
        } catch (SQLException e) {
            throw new StorageException("resnapshot failed, storage kept: cannot drop replication slot " + slot + " on "
                    + jdbcUrl + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StorageException("resnapshot failed: cannot delete storage " + storageFile + ": "
                    + e.getMessage() + " — delete it (with its -wal and -shm files) by hand", e);
        }
    }
}
