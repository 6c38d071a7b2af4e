package dev.syncline.server.config;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Syncline-only settings for change capture. The slot and publication names are restricted to
 * lower-case identifiers so they never need quoting and cannot collide by case with another tool's.
 */
public record CaptureConfig(String slotName, String publicationName, List<TableRef> tables, int snapshotChunkRows,
                            Duration heartbeatInterval, long maxPendingBytes, boolean managePublication,
                            long maxQueuedBytes, long snapshotChunkBytes) {
    public static final String DEFAULT_NAME = "syncline";
    public static final int DEFAULT_SNAPSHOT_CHUNK_ROWS = 10_000;
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_PENDING_BYTES = 64L << 20;
    /** Changes decoded and waiting for the storage writer; with the reader's 64 MiB it fits a 512 MiB heap. */
    public static final long DEFAULT_MAX_QUEUED_BYTES = 64L << 20;
    public static final long DEFAULT_SNAPSHOT_CHUNK_BYTES = 16L << 20;
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,63}");

    public static CaptureConfig defaults() {
        return new CaptureConfig(DEFAULT_NAME, DEFAULT_NAME, List.of(), DEFAULT_SNAPSHOT_CHUNK_ROWS,
                DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_MAX_PENDING_BYTES, true, DEFAULT_MAX_QUEUED_BYTES,
                DEFAULT_SNAPSHOT_CHUNK_BYTES);
    }

    static CaptureConfig read(Section s) {
        String slot = name(s, "slot_name");
        String publication = name(s, "publication_name");
        List<TableRef> tables = TableRef.readList(s, "tables");
        int chunk = s.integer("snapshot_chunk_rows", DEFAULT_SNAPSHOT_CHUNK_ROWS, 1, 1_000_000);
        Duration heartbeat = Units.duration(s, "heartbeat_interval", Duration.ofSeconds(1), Duration.ofHours(1))
                .orElse(DEFAULT_HEARTBEAT_INTERVAL);
        long pending = Units.bytes(s, "max_pending_bytes", 1L << 20, 16L << 30).orElse(DEFAULT_MAX_PENDING_BYTES);
        boolean manage = s.bool("manage_publication", true);
        long queued = Units.bytes(s, "max_queued_bytes", 1L << 20, 16L << 30).orElse(DEFAULT_MAX_QUEUED_BYTES);
        long chunkBytes = Units.bytes(s, "snapshot_chunk_bytes", 64L << 10, 1L << 30).orElse(DEFAULT_SNAPSHOT_CHUNK_BYTES);
        return new CaptureConfig(slot, publication, tables, chunk, heartbeat, pending, manage, queued, chunkBytes);
    }

    private static String name(Section s, String key) {
        String value = s.string(key, DEFAULT_NAME);
        if (!NAME.matcher(value).matches()) {
            s.problem(key, "`" + value + "` must be 1 to 63 characters of a-z, 0-9 and _ — e.g. `syncline`");
            return DEFAULT_NAME;
        }
        return value;
    }
}
