package dev.syncline.server.source.postgres;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * Everything change capture needs to know, already validated by the configuration layer.
 *
 * @param jdbcUrl pgjdbc URL of the source database
 * @param connectionProperties user, password, ssl settings (never logged)
 * @param tables the tables to capture, in copy order
 * @param snapshotChunkRows rows per snapshot chunk (bounds memory during the copy)
 * @param heartbeatInterval how often an idle source gets a logical-message heartbeat
 * @param maxPendingBytes bytes of received but unprocessed WAL messages before the reader pauses
 * @param snapshotChunkBytes estimated bytes after which a snapshot chunk ends even before {@code snapshotChunkRows}
 * @param managePublication whether capture may create the publication and set its tables; false: an admin
 *        made it, and capture only checks that it covers every table
 */
public record PgSourceSettings(String jdbcUrl, Properties connectionProperties, String slotName,
                               String publicationName, List<TableName> tables, int snapshotChunkRows,
                               Duration heartbeatInterval, long maxPendingBytes, boolean managePublication,
                               long snapshotChunkBytes) {
    public static final String HEARTBEAT_PREFIX = "syncline-heartbeat";
    /** Prefix of the logical messages that mark write checkpoints (PROTOCOL.md §4). */
    public static final String WRITE_CHECKPOINT_PREFIX = "syncline-write-checkpoint";

    public PgSourceSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        connectionProperties = copy(connectionProperties);
        tables = List.copyOf(tables);
        if (snapshotChunkRows < 1) {
            throw new IllegalArgumentException("snapshotChunkRows must be positive");
        }
        if (snapshotChunkBytes < 1) {
            throw new IllegalArgumentException("snapshotChunkBytes must be positive");
        }
    }

    /** With the default snapshot chunk budget in bytes ({@link InitialSnapshot#DEFAULT_CHUNK_BYTES}). */
    public PgSourceSettings(String jdbcUrl, Properties connectionProperties, String slotName, String publicationName,
                            List<TableName> tables, int snapshotChunkRows, Duration heartbeatInterval,
                            long maxPendingBytes, boolean managePublication) {
        this(jdbcUrl, connectionProperties, slotName, publicationName, tables, snapshotChunkRows, heartbeatInterval,
                maxPendingBytes, managePublication, InitialSnapshot.DEFAULT_CHUNK_BYTES);
    }

    public static PgSourceSettings defaults(String jdbcUrl, String user, String password, List<TableName> tables) {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return new PgSourceSettings(jdbcUrl, p, "syncline", "syncline", tables, 10_000, Duration.ofSeconds(30),
                64L << 20, true);
    }

    public PgSourceSettings withSnapshotChunkRows(int rows) {
        return new PgSourceSettings(jdbcUrl, connectionProperties, slotName, publicationName, tables, rows,
                heartbeatInterval, maxPendingBytes, managePublication, snapshotChunkBytes);
    }

    public PgSourceSettings withSnapshotChunkBytes(long bytes) {
        return new PgSourceSettings(jdbcUrl, connectionProperties, slotName, publicationName, tables,
                snapshotChunkRows, heartbeatInterval, maxPendingBytes, managePublication, bytes);
    }

    public PgSourceSettings withHeartbeatInterval(Duration interval) {
        return new PgSourceSettings(jdbcUrl, connectionProperties, slotName, publicationName, tables,
                snapshotChunkRows, interval, maxPendingBytes, managePublication, snapshotChunkBytes);
    }

    public PgSourceSettings withManagedPublication(boolean manage) {
        return new PgSourceSettings(jdbcUrl, connectionProperties, slotName, publicationName, tables,
                snapshotChunkRows, heartbeatInterval, maxPendingBytes, manage, snapshotChunkBytes);
    }

    public PgSourceSettings withSlotName(String slot) {
        return new PgSourceSettings(jdbcUrl, connectionProperties, slot, publicationName, tables, snapshotChunkRows,
                heartbeatInterval, maxPendingBytes, managePublication, snapshotChunkBytes);
    }

    private static Properties copy(Properties p) {
        Properties c = new Properties();
        if (p != null) {
            c.putAll(p);
        }
        return c;
    }

    @Override
    public String toString() {
        return "PgSourceSettings[url=" + jdbcUrl + ", user=" + connectionProperties.getProperty("user") + ", slot="
                + slotName + ", publication=" + publicationName + ", tables=" + tables + "]";
    }
}
