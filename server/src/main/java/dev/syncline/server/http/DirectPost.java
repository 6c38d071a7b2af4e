package dev.syncline.server.http;

import dev.syncline.server.sync.SyncException;

import java.io.IOException;
import java.io.InputStream;

/**
 * A {@code POST} route's work that needs nothing of Javalin: served by Jetty directly when the
 * handler given to {@link SyncHttpServer} implements it (see {@code DirectRoute}). It runs on the
 * request's (virtual) thread and may block.
 */
@FunctionalInterface
public interface DirectPost {
    /**
     * @param authorization the {@code Authorization} header, null when absent
     * @param contentLength the declared body length, -1 when not declared
     * @return the JSON body of a 200 answer
     * @throws SyncException to answer with the API's error body, its status and {@code Retry-After}
     */
    byte[] post(String authorization, long contentLength, InputStream body) throws IOException;
}
