package dev.syncline.server.auth;

import static dev.syncline.server.auth.JwtFixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JWSAlgorithm;
import com.sun.net.httpserver.HttpServer;
import dev.syncline.server.config.ClientAuthConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real HTTP path: JDK client against a JWKS served on loopback, with rotation and failures. */
class JwksLoopbackServerTest {
    private record Reply(int status, String body, Duration delay) {}

    private final AtomicReference<Reply> reply = new AtomicReference<>(new Reply(200, jwksJson(RSA), Duration.ZERO));
    private final AtomicInteger requests = new AtomicInteger();
    private final MutableClock clock = new MutableClock(NOW);
    private HttpServer server;
    private ExecutorService executor;
    private URI jwksUri;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/.well-known/jwks.json", exchange -> {
            requests.incrementAndGet();
            Reply r = reply.get();
            try {
                Thread.sleep(r.delay().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            try {
                exchange.sendResponseHeaders(r.status(), body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } catch (IOException e) {
                // the client gave up (the slow case); nothing to do
            }
        });
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.start();
        jwksUri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/.well-known/jwks.json");
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
        executor.shutdownNow();
    }

    private ClientAuth start(HttpJwksFetcher fetcher) {
        ClientAuthConfig config = new ClientAuthConfig(List.of(jwksUri), List.of(), List.of(AUDIENCE), false, false,
                Optional.empty());
        return ClientAuth.start(config, TokenVerifier.DEFAULT_MAX_LIFETIME, clock, fetcher,
                new ClientAuth.JwksSettings(Duration.ofHours(1), Duration.ofSeconds(30)));
    }

    private static HttpJwksFetcher loopbackAllowed() {
        // Generous: a loaded CI machine is slow to set up the first HTTP connection.
        return new HttpJwksFetcher(false, Duration.ofSeconds(5), Duration.ofSeconds(5), InetAddress::getAllByName);
    }


    private static AuthErrorCode codeOf(TokenVerifier verifier, String token) {
        AuthException e = catchThrowableOfType(AuthException.class, () -> verifier.verify(token));
        return e == null ? null : e.code();
    }

    @Test
    void servesKeysRotatesAndSurvivesOutages() throws Exception {
        try (ClientAuth auth = start(loopbackAllowed())) {
            RemoteJwksKeySource source = auth.jwksSources().getFirst();
            assertThat(source.keys()).as("loaded by start").hasSize(1);
            TokenVerifier verifier = auth.verifier();
            String oldToken = mint(RSA, JWSAlgorithm.RS256);
            assertThat(verifier.verify("Token " + oldToken).userId()).isEqualTo("user-1");

            // Rotation: the provider replaces rsa-1 with rsa-2.
            reply.set(new Reply(200, jwksJson(RSA_2), Duration.ZERO));
            String newToken = mint(RSA_2, JWSAlgorithm.RS256);
            int before = requests.get();
            assertThat(codeOf(verifier, newToken)).as("inside the refresh gap").isEqualTo(AuthErrorCode.PSYNC_S2101);
            assertThat(requests.get()).isEqualTo(before);
            clock.advance(Duration.ofSeconds(31));
            assertThat(verifier.verify("Bearer " + newToken).userId()).as("unknown kid fetched the new set")
                    .isEqualTo("user-1");
            assertThat(requests.get()).isEqualTo(before + 1);
            assertThat(codeOf(verifier, oldToken)).as("withdrawn key").isEqualTo(AuthErrorCode.PSYNC_S2101);

            // Down: HTTP 500 keeps the keys.
            reply.set(new Reply(500, "{\"error\":\"oops\"}", Duration.ZERO));
            assertThat(source.refresh()).isFalse();
            assertThat(source.lastError()).hasValueSatisfying(m -> assertThat(m).contains("500"));
            assertThat(verifier.verify(newToken).userId()).isEqualTo("user-1");

            // Garbage keeps the keys.
            reply.set(new Reply(200, "<html>maintenance</html>", Duration.ZERO));
            assertThat(source.refresh()).isFalse();
            assertThat(verifier.verify(newToken).userId()).isEqualTo("user-1");

            // Slow: the request timeout (5 s) ends the wait long before the 20 s reply, the keys stay.
            reply.set(new Reply(200, jwksJson(RSA), Duration.ofSeconds(20)));
            long started = System.nanoTime();
            assertThat(source.refresh()).isFalse();
            assertThat(source.lastError()).hasValueSatisfying(m -> assertThat(m).containsIgnoringCase("timed out"));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
            assertThat(verifier.verify(newToken).userId()).isEqualTo("user-1");

            // Back up, with both keys.
            reply.set(new Reply(200, jwksJson(RSA, RSA_2), Duration.ZERO));
            assertThat(source.refresh()).isTrue();
            assertThat(source.lastError()).isEmpty();
            assertThat(verifier.verify(oldToken).userId()).isEqualTo("user-1");
        }
    }

    @Test
    void loopbackIsRefusedWhenBlockLocalJwksIsTrue() {
        HttpJwksFetcher blocked = new HttpJwksFetcher(true, Duration.ofSeconds(5), Duration.ofSeconds(2),
                InetAddress::getAllByName);
        assertThatThrownBy(() -> blocked.fetch(jwksUri)).isInstanceOf(IOException.class)
                .hasMessageContaining("block_local_jwks");
        assertThat(requests).hasValue(0);
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        server.createContext("/redirect", exchange -> {
            exchange.getResponseHeaders().set("Location", jwksUri.toString());
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        URI redirecting = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/redirect");
        assertThatThrownBy(() -> loopbackAllowed().fetch(redirecting)).isInstanceOf(IOException.class)
                .hasMessageContaining("302");
    }
}
