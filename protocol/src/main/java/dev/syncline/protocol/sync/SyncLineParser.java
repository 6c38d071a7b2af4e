package dev.syncline.protocol.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import de.undercouch.bson4jackson.BsonFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads sync lines back (the client side of {@link SyncLineCodec}), strictly: op ids must be
 * strings, checksums numbers, and a line must have exactly one known key — the same checks the
 * PowerSync clients make, so tests catch what would end a real client's session.
 */
public final class SyncLineParser {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final ObjectMapper BSON = new ObjectMapper(new BsonFactory());

    private SyncLineParser() {}

    /** Thrown for a line a client would reject. */
    public static final class MalformedLineException extends RuntimeException {
        public MalformedLineException(String message) {
            super(message);
        }
    }

    public static SyncLine ndjson(String line) {
        try {
            return parse(JSON.readTree(line));
        } catch (IOException e) {
            throw new MalformedLineException("not JSON: " + e.getMessage());
        }
    }

    /** A line of {@link SyncLineCodec#COMPACT_NDJSON}: compact data lines come back as standard {@link SyncLine.Data}. */
    public static SyncLine compactNdjson(String line) {
        JsonNode root;
        try {
            root = CompactRows.READER.readTree(line);
        } catch (IOException e) {
            throw new MalformedLineException("not JSON: " + e.getMessage());
        }
        if (root != null && root.isObject() && root.size() == 1 && root.has("rows")) {
            return CompactRows.read(root.get("rows"));
        }
        return parse(root);
    }

    public static SyncLine bson(byte[] document) {
        try {
            return parse(BSON.readTree(document));
        } catch (IOException e) {
            throw new MalformedLineException("not BSON: " + e.getMessage());
        }
    }

    static SyncLine parse(JsonNode root) {
        if (root == null || !root.isObject() || root.size() != 1) {
            throw new MalformedLineException("a line must be an object with exactly one key: " + root);
        }
        String kind = root.fieldNames().next();
        JsonNode v = root.get(kind);
        return switch (kind) {
            case "checkpoint" -> new SyncLine.Checkpoint(opId(v, "last_op_id"), optionalOpId(v, "write_checkpoint"),
                    buckets(v.path("buckets")), streams(v.path("streams")));
            case "checkpoint_diff" -> new SyncLine.CheckpointDiff(opId(v, "last_op_id"),
                    optionalOpId(v, "write_checkpoint"), buckets(v.path("updated_buckets")), strings(v.path("removed_buckets")));
            case "data" -> new SyncLine.Data(text(v, "bucket"), ops(v.path("data")), v.path("has_more").asBoolean(),
                    opId(v, "after"), opId(v, "next_after"));
            case "checkpoint_complete" -> new SyncLine.CheckpointComplete(opId(v, "last_op_id"));
            case "partial_checkpoint_complete" -> new SyncLine.PartialCheckpointComplete(opId(v, "last_op_id"),
                    v.path("priority").asInt());
            case "token_expires_in" -> {
                if (!v.isIntegralNumber()) {
                    throw new MalformedLineException("token_expires_in must be an integer");
                }
                yield new SyncLine.TokenExpiresIn(v.asLong());
            }
            default -> throw new MalformedLineException("unknown line kind: " + kind);
        };
    }

    private static List<BucketChecksum> buckets(JsonNode list) {
        List<BucketChecksum> out = new ArrayList<>();
        for (JsonNode b : list) {
            out.add(new BucketChecksum(text(b, "bucket"), number(b, "checksum"), number(b, "count"),
                    b.path("priority").asInt(BucketChecksum.DEFAULT_PRIORITY), reasons(b.path("subscriptions"))));
        }
        return out;
    }

    private static List<BucketReason> reasons(JsonNode list) {
        List<BucketReason> out = new ArrayList<>();
        for (JsonNode r : list) {
            if (r.has("default")) {
                out.add(new BucketReason.Default((int) number(r, "default")));
            } else if (r.has("sub")) {
                out.add(new BucketReason.Subscription((int) number(r, "sub")));
            } else {
                throw new MalformedLineException("a bucket's subscriptions entry needs `default` or `sub`: " + r);
            }
        }
        return out;
    }

    private static List<StreamDescription> streams(JsonNode list) {
        List<StreamDescription> out = new ArrayList<>();
        for (JsonNode s : list) {
            List<StreamDescription.Error> errors = new ArrayList<>();
            for (JsonNode e : s.path("errors")) {
                JsonNode sub = e.path("subscription");
                errors.add(new StreamDescription.Error(sub.isIntegralNumber() ? sub.asInt() : null, text(e, "message")));
            }
            out.add(new StreamDescription(text(s, "name"), s.path("is_default").asBoolean(), errors));
        }
        return out;
    }

    private static List<OplogEntry> ops(JsonNode list) {
        List<OplogEntry> out = new ArrayList<>();
        for (JsonNode op : list) {
            out.add(new OplogEntry(opId(op, "op_id"), OplogEntry.Op.valueOf(text(op, "op")), nullableText(op, "object_type"),
                    nullableText(op, "object_id"), nullableText(op, "subkey"), nullableText(op, "data"), number(op, "checksum")));
        }
        return out;
    }

    private static List<String> strings(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static long opId(JsonNode node, String field) {
        JsonNode v = node.path(field);
        if (!v.isTextual()) {
            throw new MalformedLineException(field + " must be a string op id, got " + v);
        }
        return Long.parseUnsignedLong(v.asText());
    }

    private static Long optionalOpId(JsonNode node, String field) {
        return node.has(field) ? opId(node, field) : null;
    }

    private static long number(JsonNode node, String field) {
        JsonNode v = node.path(field);
        if (!v.isIntegralNumber()) {
            throw new MalformedLineException(field + " must be an integer, got " + v);
        }
        return v.asLong();
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        if (!v.isTextual()) {
            throw new MalformedLineException(field + " must be a string, got " + v);
        }
        return v.asText();
    }

    private static String nullableText(JsonNode node, String field) {
        return node.has(field) && !node.get(field).isNull() ? text(node, field) : null;
    }
}
