package dev.syncline.server.auth;

import static dev.syncline.server.auth.JwtFixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JWSAlgorithm;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JWKS URL cache against a hand-written fetcher stub: failures keep keys, rotation, rate limits. */
class JwksCacheTest {
    private static final URI URL = URI.create("https://idp.example.com/.well-known/jwks.json");
    private final MutableClock clock = new MutableClock(NOW);
    private final StubJwksFetcher fetcher = new StubJwksFetcher(jwksJson(RSA));
    private final RemoteJwksKeySource source =
            new RemoteJwksKeySource(URL, fetcher, clock, Duration.ofSeconds(30), KeyPolicy.DEFAULT);
    private final TokenVerifier verifier =
            new TokenVerifier(source, List.of(AUDIENCE), TokenVerifier.DEFAULT_MAX_LIFETIME, clock);

    private AuthErrorCode codeOf(String token) {
        AuthException e = catchThrowableOfType(AuthException.class, () -> verifier.verify(token));
        return e == null ? null : e.code();
    }

    @Test
    void keysAreLoadedByRefreshAndServedFromTheCache() throws Exception {
        assertThat(source.refresh()).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(verifier.verify(mint(RSA, JWSAlgorithm.RS256)).userId()).isEqualTo("user-1");
        }
        assertThat(fetcher.calls).hasValue(1);
    }

    @Test
    void endpointDownKeepsTheCachedKeys() throws Exception {
        source.refresh();
        fetcher.fail(new IOException("connection refused"));
        assertThat(source.refresh()).isFalse();
        assertThat(source.lastError()).hasValueSatisfying(m -> assertThat(m).contains("connection refused"));
        assertThat(verifier.verify(mint(RSA, JWSAlgorithm.RS256)).userId()).isEqualTo("user-1");
    }

    @Test
    void slowEndpointKeepsTheCachedKeys() throws Exception {
        source.refresh();
        fetcher.fail(new HttpTimeoutException("request timed out"));
        assertThat(source.refresh()).isFalse();
        assertThat(verifier.verify(mint(RSA, JWSAlgorithm.RS256)).userId()).isEqualTo("user-1");
    }

    @Test
    void garbageKeepsTheCachedKeys() throws Exception {
        source.refresh();
        for (String garbage : List.of("<html>oops</html>", "", "[]", "{\"keys\":{}}", "{\"keys\":[1,2]}",
                "{\"nokeys\":true}", "{\"keys\":[")) {
            fetcher.serve(garbage);
            assertThat(source.refresh()).as(garbage).isFalse();
            assertThat(source.keys()).as(garbage).hasSize(1);
        }
        assertThat(verifier.verify(mint(RSA, JWSAlgorithm.RS256)).userId()).isEqualTo("user-1");
    }

    @Test
    void aFetcherThatThrowsAnythingDoesNotEscapeRefresh() {
        fetcher.crash(new IllegalStateException("boom"));
        assertThat(source.refresh()).isFalse();
        assertThat(source.keys()).isEmpty();
    }

    @Test
    void recoversWhenTheEndpointComesBack() throws Exception {
        fetcher.fail(new IOException("down"));
        source.refresh();
        assertThat(codeOf(mint(RSA, JWSAlgorithm.RS256))).isEqualTo(AuthErrorCode.PSYNC_S2101);
        fetcher.serve(jwksJson(RSA));
        clock.advance(Duration.ofSeconds(31));
        assertThat(verifier.verify(mint(RSA, JWSAlgorithm.RS256)).userId()).isEqualTo("user-1");
        assertThat(source.lastError()).isEmpty();
    }

    @Test
    void unknownKidTriggersAtMostOneRefreshPerGap() throws Exception {
        source.refresh();
        fetcher.serve(jwksJson(RSA, RSA_2));
        String rotated = mint(RSA_2, JWSAlgorithm.RS256);
        // Just refreshed: an unknown kid may not trigger another fetch yet.
        assertThat(codeOf(rotated)).isEqualTo(AuthErrorCode.PSYNC_S2101);
        assertThat(fetcher.calls).hasValue(1);
        clock.advance(Duration.ofSeconds(31));
        assertThat(verifier.verify(rotated).userId()).isEqualTo("user-1");
        assertThat(fetcher.calls).hasValue(2);
        // A flood of random kids costs one fetch per gap, not one per token.
        clock.advance(Duration.ofSeconds(31));
        for (int i = 0; i < 50; i++) {
            codeOf(mint(JWSAlgorithm.RS256, "random-" + i, signer(RSA), claims()));
        }
        assertThat(fetcher.calls).hasValue(3);
        clock.advance(Duration.ofSeconds(29));
        codeOf(mint(JWSAlgorithm.RS256, "random-x", signer(RSA), claims()));
        assertThat(fetcher.calls).hasValue(3);
    }

    @Test
    void keyRotationAddsTheNewKeyAndRetiresTheRemovedOne() throws Exception {
        source.refresh();
        String oldToken = mint(RSA, JWSAlgorithm.RS256);
        fetcher.serve(jwksJson(RSA, RSA_2)); // new key published next to the old one
        clock.advance(Duration.ofMinutes(5));
        source.refresh();
        assertThat(verifier.verify(oldToken).userId()).isEqualTo("user-1");
        assertThat(verifier.verify(mint(RSA_2, JWSAlgorithm.RS256)).userId()).isEqualTo("user-1");
        fetcher.serve(jwksJson(RSA_2)); // old key withdrawn
        clock.advance(Duration.ofMinutes(5));
        source.refresh();
        assertThat(codeOf(oldToken)).isEqualTo(AuthErrorCode.PSYNC_S2101);
        assertThat(verifier.verify(mint(RSA_2, JWSAlgorithm.RS256)).userId()).isEqualTo("user-1");
    }

    @Test
    void secretsEncryptionKeysAndUnsupportedKeysFromAUrlAreSkipped() throws Exception {
        Map<String, Object> enc = new LinkedHashMap<>(publicJson(RSA_2));
        enc.put("use", "enc");
        Map<String, Object> noVerify = new LinkedHashMap<>(publicJson(EC_256));
        noVerify.put("key_ops", List.of("encrypt"));
        Map<String, Object> x25519 = Map.of("kty", "OKP", "crv", "X25519", "kid", "x25519",
                "x", "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"); // key agreement, not signatures
        Map<String, Object> broken = Map.of("kty", "RSA", "kid", "broken");
        fetcher.serve(jwksJson(List.of(secretJson(HS_256, JWSAlgorithm.HS256), enc, noVerify, x25519, broken,
                publicJson(RSA))));
        assertThat(source.refresh()).isTrue();
        assertThat(source.keys()).singleElement().satisfies(k -> assertThat(k.kid()).hasValue("rsa-1"));
        // A JWKS URL that publishes an HMAC secret must not let anyone who reads it mint tokens.
        assertThat(codeOf(mint(HS_256, JWSAlgorithm.HS256))).isEqualTo(AuthErrorCode.PSYNC_S2101);
    }

    @Test
    void refresherFetchesAgainAndAgainInTheBackground() throws Exception {
        try (JwksRefresher refresher = JwksRefresher.start(List.of(source), Duration.ofMillis(20))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (fetcher.calls.get() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(fetcher.calls.get()).as("repeated background fetches").isGreaterThanOrEqualTo(3);
            assertThat(source.keys()).hasSize(1);
        }
    }

    @Test
    void requestsDoNotQueueBehindASlowFetch() throws Exception {
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        JwksFetcher slow = uri -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return jwksJson(RSA);
        };
        RemoteJwksKeySource slowSource =
                new RemoteJwksKeySource(URL, slow, clock, Duration.ofSeconds(30), KeyPolicy.DEFAULT);
        Thread background = Thread.ofVirtual().start(slowSource::refresh);
        entered.await();
        long started = System.nanoTime();
        assertThat(slowSource.refreshForUnknownKey()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
        release.countDown();
        background.join();
        assertThat(slowSource.keys()).hasSize(1);
    }
}
