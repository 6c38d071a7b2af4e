package dev.syncline.server.http;

import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.server.sync.SyncException;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /api/upload} served by Jetty directly ({@link DirectRoute}) answers exactly what the
 * same work answers through Javalin's route: status, body, content type, CORS and Retry-After
 * headers, the API's error bodies; and it does run without Javalin in the call.
 */
class DirectRouteTest {
    private final HttpClient http = HttpClient.newHttpClient();

    /** The upload work: echoes the body and length; "busy" refuses with 429 and Retry-After; "boom" fails. */
    private static byte[] work(String authorization, long length, InputStream body) throws IOException {
        String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
        if (text.equals("busy")) {
            throw new SyncException("SYNC_U1007", 429, "too many uploads in progress", 1);
        }
        if (text.equals("boom")) {
            throw new IllegalStateException("secret host name db.internal:5432");
        }
        return ("{\"auth\":\"" + authorization + "\",\"length\":" + length + ",\"body\":\"" + text + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The work as a Javalin handler only. */
    private static final Handler VIA_JAVALIN = ctx -> ctx.status(200).contentType("application/json")
            .result(work(ctx.header("Authorization"), ctx.req().getContentLengthLong(), ctx.req().getInputStream()));

    /** The same work, servable directly; records whether Javalin was in the call. */
    private static final class Direct implements Handler, DirectPost {
        final AtomicBoolean javalinInCall = new AtomicBoolean();

        @Override
        public void handle(Context ctx) throws Exception {
            VIA_JAVALIN.handle(ctx);
        }

        @Override
        public byte[] post(String authorization, long contentLength, InputStream body) throws IOException {
            javalinInCall.set(StackWalker.getInstance().walk(frames -> frames.anyMatch(f ->
                    f.getClassName().startsWith("io.javalin."))));
            return work(authorization, contentLength, body);
        }
    }

    private static SyncHttpServer server(Handler uploads) {
        Authenticator auth = header -> new AuthenticatedUser("u", "{}", Instant.now().plusSeconds(60));
        return new SyncHttpServer(new HttpSettings("127.0.0.1", 0, List.of("https://app.example"), 2, 4096, 1000, 1 << 20),
                auth, new FakeBackend(), Clock.systemUTC()).uploads(uploads).start();
    }

    private HttpResponse<String> post(SyncHttpServer server, String body, boolean withOrigin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/upload"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer t")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (withOrigin) {
            b.header("Origin", "https://app.example");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Object> answer(HttpResponse<String> r) {
        var h = r.headers();
        String body = r.body().contains("SYNC_S5000") ? "internal failure" : r.body(); // its reference differs per call
        return Map.of("status", r.statusCode(), "body", body,
                "type", h.firstValue("Content-Type").orElse("-"),
                "retry", h.firstValue("Retry-After").orElse("-"),
                "cors", h.allValues("Access-Control-Allow-Origin") + " " + h.allValues("Vary")
                        + " " + h.allValues("Access-Control-Allow-Headers"),
                "cookie", h.firstValue("Set-Cookie").orElse("-"));
    }

    @Test
    void answersExactlyAsTheJavalinRouteWithoutJavalinInTheCall() throws Exception {
        Direct direct = new Direct();
        try (SyncHttpServer viaJavalin = server(VIA_JAVALIN); SyncHttpServer viaJetty = server(direct)) {
            for (String body : List.of("{\"a\":1}", "busy", "boom")) {
                for (boolean origin : new boolean[] {false, true}) {
                    Map<String, Object> expected = answer(post(viaJavalin, body, origin));
                    direct.javalinInCall.set(true);
                    assertThat(answer(post(viaJetty, body, origin))).as("%s, origin %s", body, origin).isEqualTo(expected);
                    assertThat(direct.javalinInCall).as("Javalin in the call").isFalse();
                }
            }
            HttpResponse<String> ok = post(viaJetty, "{\"a\":1}", true);
            assertThat(ok.body()).isEqualTo("{\"auth\":\"Bearer t\",\"length\":7,\"body\":\"{\"a\":1}\"}");
            assertThat(ok.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example");
            HttpResponse<String> busy = post(viaJetty, "busy", false);
            assertThat(busy.statusCode()).isEqualTo(429);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(busy.body()).contains("\"code\":\"SYNC_U1007\"");
            HttpResponse<String> boom = post(viaJetty, "boom", false);
            assertThat(boom.statusCode()).isEqualTo(500);
            assertThat(boom.body()).contains("SYNC_S5000").doesNotContain("db.internal");
        }
    }

    @Test
    void aChunkedBodyWithoutContentLengthIsReadWhole() throws Exception {
        try (SyncHttpServer server = server(new Direct())) {
            byte[] body = "{\"chunked\":true}".getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                            + "/api/upload")).header("Authorization", "Bearer t").expectContinue(true)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"auth\":\"Bearer t\",\"length\":-1,\"body\":\"{\"chunked\":true}\"}");
        }
    }

    @Test
    void everyOtherRequestStillGoesToJavalin() throws Exception {
        try (SyncHttpServer server = server(new Direct())) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> probe = http.send(HttpRequest.newBuilder(URI.create(base + "/probes/liveness")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(probe.statusCode()).isEqualTo(200);
            HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(URI.create(base + "/api/upload"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://app.example")
                    .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(preflight.statusCode()).isEqualTo(204);
            assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET, POST, OPTIONS");
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(base + "/api/upload")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(get.statusCode()).isEqualTo(404);
        }
    }
}
