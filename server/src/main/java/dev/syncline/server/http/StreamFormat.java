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
        double bson = -1;
        double ndjson = -1;
        double compact = -1;
        for (String part : accept.split(",")) {
            String[] pieces = part.trim().split(";");
            String type = pieces[0].trim().toLowerCase(java.util.Locale.ROOT);
            double q = 1.0;
            for (int i = 1; i < pieces.length; i++) {
                String p = pieces[i].trim();
                if (p.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(p.substring(2));
                    } catch (NumberFormatException ignored) {
                        q = 0;
                    }
                }
            }
            if (type.equals(SyncLineCodec.COMPACT_NDJSON)) {
                compact = Math.max(compact, q);
            } else if (type.equals(SyncLineCodec.BSON_STREAM)) {
                bson = Math.max(bson, q);
            } else if (type.equals(SyncLineCodec.NDJSON) || type.equals("application/json") || type.equals("*/*")) {
                ndjson = Math.max(ndjson, q);
            }
        }
        if (compact > 0 && compact >= ndjson && compact >= bson) {
            return COMPACT;
        }
        return bson > 0 && bson > ndjson ? BSON : NDJSON;
    }
}
