package dev.syncline.server.http;

import com.github.luben.zstd.util.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * The compression of a sync stream response, picked from the request's {@code Accept-Encoding}
 * (RFC 9110 §12.5.3): zstd when the client accepts it (browsers name it: Chromium sends
 * {@code gzip, deflate, br, zstd}) and the native zstd library loaded, else gzip when accepted,
 * else none. A coding listed with {@code q=0} is refused, as is everything under {@code *;q=0}.
 * zstd takes about half the server CPU of deflate's fastest level for a first sync, into about a
 * quarter fewer bytes (docs/benchmarks.md, P4).
 */
public enum ContentCoding {
    IDENTITY(null), GZIP("gzip"), ZSTD("zstd");

    private static final Logger log = LoggerFactory.getLogger(ContentCoding.class);
    private static final boolean ZSTD_AVAILABLE = loadZstd();

    private final String token;

    ContentCoding(String token) {
        this.token = token;
    }

    /** The {@code Content-Encoding} value, or null for none. */
    public String header() {
        return token;
    }

    /** The coding for this {@code Accept-Encoding} header (null or blank: none). */
    public static ContentCoding negotiate(String acceptEncoding) {
        return negotiate(acceptEncoding, ZSTD_AVAILABLE);
    }

    static ContentCoding negotiate(String acceptEncoding, boolean zstdAvailable) {
        if (acceptEncoding == null || acceptEncoding.isBlank()) {
            return IDENTITY;
        }
        Map<String, Double> q = QualityValues.parse(acceptEncoding);
        double any = q.getOrDefault("*", -1.0);
        double gzip = Math.max(q.getOrDefault("gzip", -1.0), q.getOrDefault("x-gzip", -1.0));
        double zstd = q.getOrDefault("zstd", -1.0);
        if (gzip < 0) {
            gzip = any;
        }
        if (zstd < 0) {
            zstd = any;
        }
        if (zstdAvailable && zstd > 0 && zstd >= gzip) {
            return ZSTD;
        }
        return gzip > 0 ? GZIP : IDENTITY;
    }

    private static boolean loadZstd() {
        try {
            Native.load();
            return true;
        } catch (LinkageError | RuntimeException e) {
            log.warn("zstd is not available on this platform ({}); sync streams use gzip for clients that accept it", e.toString());
            return false;
        }
    }
}
