package dev.syncline.server.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.http.HttpSettings;
import io.javalin.http.Context;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * What the demo adds to the HTTP API: the built web app ({@code demo/dist}) at {@code /} and
 * {@code GET /demo/token?user=alice}, which hands the page a development token for one of the demo
 * users. The token route exists only in demo mode: anyone who can reach it can act as alice or bob,
 * which is the point of a demo and would be a hole anywhere else.
 */
public final class DemoWebApp {
    public static final List<String> USERS = List.of("alice", "bob");
    public static final String TOKEN_PATH = "/demo/token";
    /** Short enough that the SDK's refresh (fetchCredentials again) is exercised during a long session. */
    static final Duration TOKEN_LIFETIME = Duration.ofHours(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private DemoWebApp() {}

    /** The web root to serve, if {@code dir} holds a built app (an index.html). */
    public static Optional<Path> builtApp(Path dir) {
        return dir != null && Files.isRegularFile(dir.resolve("index.html")) ? Optional.of(dir) : Optional.empty();
    }

    /** HTTP settings with the token route and, when present, the web app. */
    public static UnaryOperator<HttpSettings> http(DevTokens tokens, Optional<Path> webRoot) {
        return settings -> {
            HttpSettings s = settings.withGet(TOKEN_PATH, ctx -> token(ctx, tokens));
            return webRoot.map(s::withWebRoot).orElse(s);
        };
    }

    private static void token(Context ctx, DevTokens tokens) throws JsonProcessingException {
        String user = ctx.queryParam("user");
        ctx.contentType("application/json").header("Cache-Control", "no-store");
        if (user == null || !USERS.contains(user)) {
            ctx.status(400).result(JSON.writeValueAsString(Map.of("error", Map.of("code", "DEMO_TOKEN_USER", "status", 400,
                    "description", "`user` must be one of " + USERS + ", e.g. " + TOKEN_PATH + "?user=alice"))));
            return;
        }
        ctx.result(JSON.writeValueAsString(Map.of("user", user, "token", tokens.mint(user, TOKEN_LIFETIME),
                "expires_in", TOKEN_LIFETIME.toSeconds())));
    }
}
