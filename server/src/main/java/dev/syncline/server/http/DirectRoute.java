package dev.syncline.server.http;

import dev.syncline.server.sync.InternalFailure;
import dev.syncline.server.sync.SyncException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One {@code POST} path served by Jetty directly, ahead of Javalin's servlet: for a small request
 * answered with a small JSON body ({@code POST /api/upload}), the servlet path (request and
 * response wrappers, session lookup, Javalin's context and response compression) cost about as
 * much CPU as the work itself. Answers what the Javalin route would: the same CORS headers, a
 * {@link SyncException} as the API's error body with its status and {@code Retry-After}, anything
 * else as the 500 body with a reference. Every other request goes on to Javalin unchanged
 * (the {@code OPTIONS} preflight too).
 */
final class DirectRoute extends Handler.Wrapper {
    private static final Logger log = LoggerFactory.getLogger(DirectRoute.class);

    private final String path;
    private final DirectPost post;
    private final List<String> corsOrigins;

    DirectRoute(String path, DirectPost post, List<String> corsOrigins) {
        this.path = path;
        this.post = post;
        this.corsOrigins = corsOrigins;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!HttpMethod.POST.is(request.getMethod()) || !path.equals(request.getHttpURI().getPath())) {
            return super.handle(request, response, callback);
        }
        Cors.headers(corsOrigins, request.getHeaders().get(HttpHeader.ORIGIN), response.getHeaders()::put);
        int status = 200;
        byte[] body;
        try {
            body = post.post(request.getHeaders().get(HttpHeader.AUTHORIZATION), request.getLength(),
                    Content.Source.asInputStream(request));
        } catch (Exception e) {
            SyncException told = e instanceof SyncException refused ? refused : InternalFailure.toClient(log, "POST " + path, e);
            status = told.status();
            if (told.retryAfterSeconds() > 0) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, told.retryAfterSeconds());
            }
            body = ErrorBody.of(told.code(), status, told.getMessage()).getBytes(StandardCharsets.UTF_8);
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}
