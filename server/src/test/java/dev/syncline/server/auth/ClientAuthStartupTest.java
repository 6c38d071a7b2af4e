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

    @Test
    void supabaseTrueTrustsTheProjectKeysWithSupabasesAudienceWhateverIsConfigured() throws Exception {
        StubJwksFetcher fetcher = new StubJwksFetcher(jwksJson(RSA));
        ClientAuthConfig config = new ClientAuthConfig(List.of(), List.of(), List.of(AUDIENCE), false, true, Optional.empty());
        URI jwks = SupabaseProject.jwksUri("db.abcdefghijklmnopqrst.supabase.co", "postgres").orElseThrow();
        try (ClientAuth auth = ClientAuth.start(config, Optional.of(jwks), TokenVerifier.DEFAULT_MAX_LIFETIME, clock,
                fetcher, ClientAuth.JwksSettings.DEFAULT)) {
            assertThat(auth.jwksSources()).extracting(RemoteJwksKeySource::uri).containsExactly(jwks);
            String supabaseToken = mint(RSA, JWSAlgorithm.RS256, claims("aud", "authenticated"));
            assertThat(auth.verifier().verify(supabaseToken).userId()).isEqualTo("user-1");
            // The project's keys speak for Supabase Auth only: a token for the configured audience is refused.
            assertThatThrownBy(() -> auth.verifier().verify(mint(RSA, JWSAlgorithm.RS256)))
                    .isInstanceOf(AuthException.class);
        }
    }

    @Test
    void supabaseTrueAloneOnANonSupabaseDatabaseStopsStartUpWithTheFix() {
        ClientAuthConfig config = new ClientAuthConfig(List.of(), List.of(), List.of(AUDIENCE), false, true, Optional.empty());
        assertThatThrownBy(() -> ClientAuth.start(config, Optional.empty(), TokenVerifier.DEFAULT_MAX_LIFETIME, clock,
                new StubJwksFetcher(jwksJson(RSA)), ClientAuth.JwksSettings.DEFAULT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("client_auth.supabase").hasMessageContaining("client_auth.jwks_uri");
    }
}
