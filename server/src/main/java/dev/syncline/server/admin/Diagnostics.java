package dev.syncline.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.source.postgres.CaptureException;
import dev.syncline.server.storage.BucketStats;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.WriterState;
import dev.syncline.server.source.postgres.Lsn;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * What {@code GET /api/admin/v1/diagnostics} answers: one read of storage and one of the source's
 * slot, put together as a JSON-ready map (field names in docs/operations.md, "Diagnostics").
 * A source that cannot be reached does not fail the call: {@code replication.error} says why.
 */
public final class Diagnostics {
    static final int LARGEST_BUCKETS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the server is serving, fixed at start. */
    public record Served(Supplier<String> rulesText, IntSupplier edition, String storageType, Supplier<String> slotName) {}

    /** The live parts of the running server. */
    public record Sources(Supplier<BucketStorage> storage, Supplier<Connection> sourceDb,
                          Supplier<Optional<CaptureException>> captureProblem, IntSupplier connectedClients,
                          Supplier<Map<String, Object>> generations) {}

    private final Served served;
    private final Sources sources;

    public Diagnostics(Served served, Sources sources) {
        this.served = served;
        this.sources = sources;
    }

    /** Hex SHA-256 of the sync config text: equal fingerprints mean the same rules. */
    public static String fingerprint(String rulesText) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(rulesText.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Map<String, Object> collect() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rules_fingerprint", fingerprint(served.rulesText().get()));
        out.put("edition", served.edition().getAsInt());
        BucketStorage storage = sources.storage().get();
        Optional<Checkpoint> checkpoint;
        WriterState stored;
        List<BucketStats> largest;
        try (ReadView view = storage.reader().open()) {
            checkpoint = view.checkpoint();
            stored = view.writerState();
            largest = view.largestBuckets(LARGEST_BUCKETS);
        }
        out.put("storage", Map.of("type", served.storageType(), "bytes", storage.diskBytes()));
        out.put("checkpoint_op_id", checkpoint.map(c -> (Object) c.lastOpId().value()).orElse(null));
        out.put("replication", replication(stored));
        out.put("snapshot", snapshot(Optional.ofNullable(stored.snapshotProgress())));
        out.put("capture_problem", sources.captureProblem().get().map(p -> (Object) Map.of(
                "code", p.error().code(), "message", p.getMessage())).orElse(null));
        out.put("connected_clients", sources.connectedClients().getAsInt());
        out.put("generations", sources.generations().get());
        out.put("largest_buckets", largest.stream().map(b -> Map.of("bucket", b.bucket(), "ops", b.ops(),
                "rows", b.rows())).toList());
        return out;
    }

    private Map<String, Object> replication(WriterState state) {
        Map<String, Object> out = new LinkedHashMap<>();
        String slotName = served.slotName().get();
        out.put("slot_name", slotName);
        long stored = storedPosition(state);
        out.put("stored_commit_lsn", new Lsn(state.storedCommit().value()).toString());
        out.put("stored_lsn", new Lsn(stored).toString());
        try (Connection c = sources.sourceDb().get()) {
            SlotState slot = SlotState.read(c, slotName);
            out.put("slot_exists", slot.exists());
            out.put("slot_active", slot.active());
            out.put("wal_status", slot.walStatus());
            out.put("current_lsn", slot.current().toString());
            out.put("confirmed_flush_lsn", slot.confirmedFlush() == null ? null : slot.confirmedFlush().toString());
            out.put("restart_lsn", slot.restart() == null ? null : slot.restart().toString());
            out.put("lag_bytes", Math.max(0, slot.current().value() - stored));
            out.put("lag_seconds", slot.lagSeconds());
            out.put("wal_retained_bytes", slot.walRetainedBytes());
        } catch (Exception e) {
            out.put("error", "cannot read the slot from the source database: " + e.getMessage());
        }
        return out;
    }

    /**
     * How far storage has durably processed the source: the last stored commit, or the position
     * acknowledged to the slot when that is later (heartbeats and skipped transactions move it).
     */
    public static long storedPosition(WriterState state) {
        long commit = state.storedCommit().value();
        return state.acknowledged() == null ? commit : Math.max(commit, state.acknowledged().value());
    }

    /** The writer's stored progress (pipeline.StoredProgress's JSON): tables done of total, rows copied. */
    public static Map<String, Object> snapshot(Optional<String> stored) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (stored.isEmpty()) {
            out.put("state", "not_started");
            return out;
        }
        try {
            JsonNode tables = JSON.readTree(stored.get()).path("tables");
            int done = 0;
            long rows = 0;
            for (JsonNode t : tables) {
                done += t.path("done").asBoolean() ? 1 : 0;
                rows += t.path("rowsCopied").asLong();
            }
            out.put("state", done == tables.size() ? "complete" : "copying");
            out.put("tables_copied", done);
            out.put("tables_total", tables.size());
            out.put("rows_copied", rows);
        } catch (Exception e) {
            out.put("state", "unreadable");
        }
        return out;
    }
}
