package dev.syncline.server.http;

import io.javalin.http.Handler;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Settings of the HTTP API.
 *
 * @param corsOrigins origins allowed to call the API from a browser; {@code *} allows any
 * @param maxConnections concurrent sync streams on this node; more get 429
 * @param maxBodyBytes largest accepted request body; larger get 413
 * @param webRoot a directory of static files served at {@code /} (the demo app); null serves none
 * @param extraGets GET routes added by the command that embeds the server (the demo's token
 *                  endpoint); empty for {@code serve}
 * @param clientLimits what one user or one WebSocket may cost the node
 */
public record HttpSettings(String host, int port, List<String> corsOrigins, int maxConnections, long maxBodyBytes,
                           int maxOpsPerLine, long maxBytesPerLine, Path webRoot, Map<String, Handler> extraGets,
                           ClientLimits clientLimits) {
    public HttpSettings {
        corsOrigins = List.copyOf(corsOrigins);
        extraGets = Map.copyOf(extraGets);
    }

    public HttpSettings(String host, int port, List<String> corsOrigins, int maxConnections, long maxBodyBytes,
                        int maxOpsPerLine, long maxBytesPerLine) {
        this(host, port, corsOrigins, maxConnections, maxBodyBytes, maxOpsPerLine, maxBytesPerLine, null, Map.of(),
                ClientLimits.DEFAULTS);
    }

    public static HttpSettings defaults(int port) {
        return new HttpSettings("0.0.0.0", port, List.of("*"), 10_000, 1 << 20, 1000, 1 << 20);
    }

    public HttpSettings withMaxConnections(int max) {
        return new HttpSettings(host, port, corsOrigins, max, maxBodyBytes, maxOpsPerLine, maxBytesPerLine, webRoot, extraGets, clientLimits);
    }

    public HttpSettings withMaxBodyBytes(long max) {
        return new HttpSettings(host, port, corsOrigins, maxConnections, max, maxOpsPerLine, maxBytesPerLine, webRoot, extraGets, clientLimits);
    }

    public HttpSettings withPort(int port) {
        return new HttpSettings(host, port, corsOrigins, maxConnections, maxBodyBytes, maxOpsPerLine, maxBytesPerLine, webRoot,
                extraGets, clientLimits);
    }

    /** Serves the files of {@code dir} at {@code /} (index.html for {@code /}). */
    public HttpSettings withWebRoot(Path dir) {
        return new HttpSettings(host, port, corsOrigins, maxConnections, maxBodyBytes, maxOpsPerLine, maxBytesPerLine,
                dir.toAbsolutePath().normalize(), extraGets, clientLimits);
    }

    /** Adds {@code GET path} answered by {@code handler}. */
    public HttpSettings withGet(String path, Handler handler) {
        Map<String, Handler> gets = new java.util.HashMap<>(extraGets);
        gets.put(path, handler);
        return new HttpSettings(host, port, corsOrigins, maxConnections, maxBodyBytes, maxOpsPerLine, maxBytesPerLine,
                webRoot, gets, clientLimits);
    }

    public HttpSettings withClientLimits(ClientLimits limits) {
        return new HttpSettings(host, port, corsOrigins, maxConnections, maxBodyBytes, maxOpsPerLine, maxBytesPerLine,
                webRoot, extraGets, limits);
    }
}
