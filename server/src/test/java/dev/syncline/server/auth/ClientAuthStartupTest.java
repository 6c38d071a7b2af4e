package dev.syncline.server.auth;

import static dev.syncline.server.auth.JwtFixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import dev.syncline.server.config.ClientAuthConfig;
import dev.syncline.server.config.Secret;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Wiring client_auth: bad inline keys stop start-up with their name; a dead JWKS URL does not. */
class ClientAuthStartupTest {
    private final MutableClock clock = new MutableClock(NOW);

    private static ClientAuthConfig inline(List<Map<String, Object>> keys) {
        return new ClientAuthConfig(List.of(), keys, List.of(AUDIENCE), false, false, Optional.empty());
    }

    @Test
    void anInlineKeyThatCannotVerifyNamesItself() {
        Map<String, Object> wrongAlg = new LinkedHashMap<>(publicJson(RSA));
        wrongAlg.put("alg", "ES256");
        assertThatThrownBy(() -> ClientAuth.staticKeys(inline(List.of(publicJson(EC_256), wrongAlg))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("client_auth.jwks.keys[1]").hasMessageContaining("ES256");
        Map<String, Object> shortSecret = Map.of("kty", "oct", "kid", "s", "alg", "HS256", "k", "c2hvcnQ");
        assertThatThrownBy(() -> ClientAuth.staticKeys(inline(List.of(shortSecret))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("client_auth.jwks.keys[0]")
                .hasMessageNotContaining("c2hvcnQ");
    }

    @Test
    void aShortSupabaseSecretIsRefusedWithoutShowingIt() {
        ClientAuthConfig config = new ClientAuthConfig(List.of(), List.of(), List.of(), false, true,
                Optional.of(new Secret("too-short-secret")));
        assertThatThrownBy(() -> ClientAuth.staticKeys(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("supabase_jwt_secret").hasMessageNotContaining("too-short-secret");
    }

    @Test
    void aJwksUrlThatIsDownAtStartDoesNotStopStartUpAndIsRetriedByTheFirstToken() throws Exception {
        StubJwksFetcher fetcher = new StubJwksFetcher(jwksJson(RSA));
        fetcher.fail(new IOException("connection refused"));
        ClientAuthConfig config = new ClientAuthConfig(List.of(URI.create("https://idp.example.com/jwks")),
                List.of(), List.of(AUDIENCE), false, false, Optional.empty());
        try (ClientAuth auth = ClientAuth.start(config, TokenVerifier.DEFAULT_MAX_LIFETIME, clock, fetcher,
                ClientAuth.JwksSettings.DEFAULT)) {
            assertThat(auth.jwksSources().getFirst().lastError()).isPresent();
            fetcher.serve(jwksJson(RSA));
            clock.advance(java.time.Duration.ofSeconds(31));
            assertThat(auth.verifier().verify(mint(RSA, JWSAlgorithm.RS256)).userId()).isEqualTo("user-1");
            assertThat(fetcher.calls).hasValue(2);
        }
    }
}
