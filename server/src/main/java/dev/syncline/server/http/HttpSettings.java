package dev.syncline.server.http;

import java.util.List;

/**
 * Settings of the HTTP API.
 *
 * @param corsOrigins origins allowed to call the API from a browser; {@code *} allows any
 * @param maxConnections concurrent sync streams on this node; more get 429
 * @param maxBodyBytes largest accepted request body; larger get 413
 */
public record HttpSettings(String host, int port, List<String> corsOrigins, int maxConnections, long maxBodyBytes,
                           int maxOpsPerLine, long maxBytesPerLine) {
    public HttpSettings {
        corsOrigins = List.copyOf(corsOrigins);
    }

    public static HttpSettings defaults(int port) {
        return new HttpSettings("0.0.0.0", port, List.of("*"), 10_000, 1 << 20, 1000, 1 << 20);
    }

    public HttpSettings withMaxConnections(int max) {
        return new HttpSettings(host, port, corsOrigins, max, maxBodyBytes, maxOpsPerLine, maxBytesPerLine);
    }

    public HttpSettings withMaxBodyBytes(long max) {
        return new HttpSettings(host, port, corsOrigins, maxConnections, max, maxOpsPerLine, maxBytesPerLine);
    }
}
