package dev.syncline.server.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.SlotIdentity;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.StorageException;

import java.util.ArrayList;
import java.util.List;

/**
 * JSON form of {@link SnapshotProgress}, the text storage keeps for the source without reading it
 * ({@code WriteTransaction.snapshotProgress}). Pure.
 */
final class StoredProgress {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredProgress() {}

    static String encode(SnapshotProgress p) {
        ObjectNode root = JSON.createObjectNode();
        root.put("slot", p.slotName());
        root.put("consistentAfter", p.consistentAfter().value());
        if (p.slot() != null) {
            ObjectNode slot = root.putObject("slotIdentity");
            slot.put("name", p.slot().name());
            slot.put("systemId", p.slot().systemId());
            if (p.slot().createdAt() != null) {
                slot.put("createdAt", p.slot().createdAt().value());
            }
        }
        ArrayNode tables = root.putArray("tables");
        for (SnapshotProgress.TableProgress t : p.tables()) {
            ObjectNode n = tables.addObject();
            n.put("schema", t.table().schema());
            n.put("name", t.table().name());
            n.put("relationId", t.relationId());
            ArrayNode key = n.putArray("lastKey");
            t.lastKey().forEach(key::add);
            n.put("rowsCopied", t.rowsCopied());
            n.put("done", t.done());
        }
        return root.toString();
    }

    static SnapshotProgress decode(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            List<SnapshotProgress.TableProgress> tables = new ArrayList<>();
            for (JsonNode n : root.get("tables")) {
                List<String> key = new ArrayList<>();
                n.get("lastKey").forEach(k -> key.add(k.isNull() ? null : k.asText()));
                tables.add(new SnapshotProgress.TableProgress(new TableName(n.get("schema").asText(),
                        n.get("name").asText()), n.get("relationId").asInt(), key, n.get("rowsCopied").asLong(),
                        n.get("done").asBoolean()));
            }
            JsonNode slot = root.get("slotIdentity");
            SlotIdentity identity = slot == null ? null : new SlotIdentity(slot.get("name").asText(),
                    slot.get("systemId").asText(), slot.has("createdAt") ? new Lsn(slot.get("createdAt").asLong()) : null);
            return new SnapshotProgress(root.get("slot").asText(), new Lsn(root.get("consistentAfter").asLong()), tables,
                    identity);
        } catch (Exception e) {
            throw new StorageException("unreadable stored snapshot progress: " + e.getMessage(), e);
        }
    }
}
