package dev.syncline.server.storage.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.syncline.protocol.OpId;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.CheckpointChanges;
import dev.syncline.server.storage.CommitPosition;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * The {@code LISTEN/NOTIFY} channel through which the nodes of one PostgreSQL storage schema learn
 * what another node wrote: a checkpoint committed by the replicator (its op id, position and — when
 * they fit — the changed buckets and lookup keys), or a write checkpoint handed out by any node.
 * Pure: names and payloads only; {@link PostgresCheckpointFollower} listens, the writers notify.
 *
 * <p>Payloads are JSON under PostgreSQL's 8000-byte limit: a checkpoint whose change list does not
 * fit travels without it (readers treat it as {@link CheckpointChanges#UNKNOWN}, waking every
 * session), a write checkpoint whose ids do not fit as "some client" (waking every session too).
 */
public final class CheckpointChannel {
    /** PostgreSQL refuses payloads of 8000 bytes or more; room left for the envelope. */
    static final int MAX_PAYLOAD_BYTES = 7900;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a notification says; {@code schema} tells storages whose channel names collide apart. */
    public sealed interface Message {
        String schema();
    }

    /** A checkpoint committed; {@code changes} may be {@link CheckpointChanges#UNKNOWN}. */
    public record CheckpointCommitted(String schema, Checkpoint checkpoint, CheckpointChanges changes) implements Message {}

    /** A write checkpoint recorded for (user, client); both null when they did not fit. */
    public record WriteCheckpointRecorded(String schema, String userId, String clientId) implements Message {}

    private CheckpointChannel() {}

    /** The channel of a storage schema: an identifier within PostgreSQL's 63 bytes whatever the schema's name. */
    public static String name(String schema) {
        return "syncline_cp_" + Integer.toHexString(schema.hashCode());
    }

    public static String checkpoint(String schema, Checkpoint checkpoint, CheckpointChanges changes) {
        ObjectNode o = JSON.createObjectNode().put("schema", schema).put("op", checkpoint.lastOpId().value())
                .put("pos", checkpoint.position().value());
        String bare = o.toString();
        if (changes.known()) {
            changes.buckets().forEach(o.putArray("buckets")::add);
            o.putArray("keys");
            changes.lookupKeys().forEach(((com.fasterxml.jackson.databind.node.ArrayNode) o.get("keys"))::add);
            String full = o.toString();
            if (full.getBytes(StandardCharsets.UTF_8).length <= MAX_PAYLOAD_BYTES) {
                return full;
            }
        }
        return bare;
    }

    public static String writeCheckpoint(String schema, String userId, String clientId) {
        ObjectNode o = JSON.createObjectNode().put("schema", schema).put("wc_user", userId).put("wc_client", clientId);
        String full = o.toString();
        return full.getBytes(StandardCharsets.UTF_8).length <= MAX_PAYLOAD_BYTES ? full
                : JSON.createObjectNode().put("schema", schema).putNull("wc_user").putNull("wc_client").toString();
    }

    /** The message of a payload written by this class. */
    public static Message parse(String payload) {
        try {
            JsonNode o = JSON.readTree(payload);
            String schema = o.path("schema").asText();
            if (o.has("wc_user")) {
                return new WriteCheckpointRecorded(schema, o.get("wc_user").isNull() ? null : o.get("wc_user").asText(),
                        o.get("wc_client").isNull() ? null : o.get("wc_client").asText());
            }
            Checkpoint cp = new Checkpoint(new OpId(o.path("op").asLong()), new CommitPosition(o.path("pos").asLong()));
            if (!o.has("buckets")) {
                return new CheckpointCommitted(schema, cp, CheckpointChanges.UNKNOWN);
            }
            return new CheckpointCommitted(schema, cp, new CheckpointChanges(strings(o.get("buckets")), strings(o.get("keys"))));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a checkpoint notification: " + e.getMessage(), e);
        }
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> out = new HashSet<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
