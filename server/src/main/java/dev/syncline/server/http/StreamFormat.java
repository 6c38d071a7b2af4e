package dev.syncline.server.http;

import dev.syncline.protocol.sync.SyncLineCodec;

/**
 * Picks the response framing from the {@code Accept} header (PROTOCOL.md §1): BSON only when the
 * client ranks {@code application/vnd.powersync.bson-stream} strictly above NDJSON, else NDJSON.
 * {@link #COMPACT} (NDJSON with compact data lines, docs/sync-api.md) only when the client names
 * {@code application/vnd.syncline.compact+ndjson} and ranks it at least as high as anything else:
 * Syncline's own SDKs ask for it, stock PowerSync clients never name it.
 */
public enum StreamFormat {
    NDJSON(SyncLineCodec.NDJSON), BSON(SyncLineCodec.BSON_STREAM), COMPACT(SyncLineCodec.COMPACT_NDJSON);

    private final String contentType;

    StreamFormat(String contentType) {
        this.contentType = contentType;
    }

    public String contentType() { return contentType; }

    public static StreamFormat negotiate(String accept) {
        if (accept == null || accept.isBlank()) {
            return NDJSON;
        }
        java.util.Map<String, Double> q = QualityValues.parse(accept);
        double compact = q.getOrDefault(SyncLineCodec.COMPACT_NDJSON, -1.0);
        double bson = q.getOrDefault(SyncLineCodec.BSON_STREAM, -1.0);
        double ndjson = Math.max(q.getOrDefault(SyncLineCodec.NDJSON, -1.0),
                Math.max(q.getOrDefault("application/json", -1.0), q.getOrDefault("*/*", -1.0)));
        if (compact > 0 && compact >= ndjson && compact >= bson) {
            return COMPACT;
        }
        return bson > 0 && bson > ndjson ? BSON : NDJSON;
    }
}
