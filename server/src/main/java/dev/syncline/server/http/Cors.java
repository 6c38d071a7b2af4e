package dev.syncline.server.http;

import java.util.Collection;
import java.util.function.BiConsumer;

/** The CORS response headers for a request's {@code Origin}: one rule for Javalin's routes and {@link DirectRoute}. */
final class Cors {
    private Cors() {}

    /** Adds the headers through {@code header} when {@code origin} is allowed; nothing without an origin. */
    static void headers(Collection<String> allowed, String origin, BiConsumer<String, String> header) {
        if (origin == null) {
            return;
        }
        boolean any = allowed.contains("*");
        if (any || allowed.contains(origin)) {
            header.accept("Access-Control-Allow-Origin", any ? "*" : origin);
            header.accept("Vary", "Origin");
            header.accept("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            header.accept("Access-Control-Allow-Headers", "authorization, content-type, x-user-agent, accept");
            header.accept("Access-Control-Max-Age", "600");
        }
    }
}
