package dev.syncline.server.auth;

import static dev.syncline.server.auth.JwtFixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import dev.syncline.server.config.ClientAuthConfig;
import dev.syncline.server.config.Secret;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Happy paths: every accepted algorithm family, from inline keys and from a JWKS URL. */
class JwtAlgorithmsTest {
    private final MutableClock clock = new MutableClock(NOW);

    static Stream<Arguments> asymmetric() {
        return Stream.of(
                Arguments.of(RSA, JWSAlgorithm.RS256), Arguments.of(RSA, JWSAlgorithm.RS384),
                Arguments.of(RSA, JWSAlgorithm.RS512), Arguments.of(EC_256, JWSAlgorithm.ES256),
                Arguments.of(EC_384, JWSAlgorithm.ES384), Arguments.of(EC_521, JWSAlgorithm.ES512));
    }

    static Stream<Arguments> secrets() {
        return Stream.of(Arguments.of(HS_256, JWSAlgorithm.HS256), Arguments.of(HS_384, JWSAlgorithm.HS384),
                Arguments.of(HS_512, JWSAlgorithm.HS512));
    }

    private TokenVerifier inline(List<Map<String, Object>> jwks) {
        ClientAuthConfig config = new ClientAuthConfig(List.of(), jwks, List.of(AUDIENCE), false, false, Optional.empty());
        return new TokenVerifier(KeySource.of(ClientAuth.staticKeys(config)), List.of(AUDIENCE),
                TokenVerifier.DEFAULT_MAX_LIFETIME, clock);
    }

    @ParameterizedTest(name = "{1} from inline JWKS")
    @MethodSource("asymmetric")
    void asymmetricInlineKeysVerify(JWK key, JWSAlgorithm alg) throws Exception {
        VerifiedToken token = inline(List.of(publicJson(key))).verify("Token " + mint(key, alg));
        assertThat(token.userId()).isEqualTo("user-1");
    }

    @ParameterizedTest(name = "{1} secret")
    @MethodSource("secrets")
    void hmacSecretsVerify(com.nimbusds.jose.jwk.OctetSequenceKey key, JWSAlgorithm alg) throws Exception {
        VerifiedToken token = inline(List.of(secretJson(key, alg))).verify("Bearer " + mint(key, alg));
        assertThat(token.userId()).isEqualTo("user-1");
    }

    @Test
    void eddsaVerifiesWithTheJdkProvider() throws Exception {
        VerifiedToken token = inline(List.of(publicJson(ED.publicJwk()))).verify("Token " + mintEd(ED, claims()));
        assertThat(token.userId()).isEqualTo("user-1");
    }

    @Test
    void ed448VerifiesToo() throws Exception {
        VerifiedToken token = inline(List.of(publicJson(ED_448.publicJwk()))).verify(mintEd(ED_448, claims()));
        assertThat(token.userId()).isEqualTo("user-1");
    }

    @Test
    void aTokenWithoutKidIsTriedAgainstEveryKeyOfItsFamily() throws Exception {
        TokenVerifier verifier = inline(List.of(publicJson(RSA_2), publicJson(EC_256), publicJson(RSA)));
        String token = mint(JWSAlgorithm.RS256, null, signer(RSA), claims());
        assertThat(verifier.verify(token).userId()).isEqualTo("user-1");
    }

    @Test
    void resultCarriesSubTimesClaimsAndTheExactPayload() throws Exception {
        Map<String, Object> claims = claims("parameters", Map.of("team", "t1"), "big", 12345678901234567L);
        VerifiedToken token = inline(List.of(publicJson(RSA))).verify(mint(RSA, JWSAlgorithm.RS256, claims));
        assertThat(token.userId()).isEqualTo("user-1");
        assertThat(token.issuedAt()).isEqualTo(NOW);
        assertThat(token.expiresAt()).isEqualTo(NOW.plusSeconds(3600));
        assertThat(token.claims()).containsEntry("parameters", Map.of("team", "t1")).containsEntry("aud", AUDIENCE);
        assertThat(token.payloadJson()).contains("\"big\":12345678901234567").contains("\"sub\":\"user-1\"");
        assertThat(token.toString()).doesNotContain("t1");
    }

    @Test
    void arrayAudienceWithOneAcceptedValueIsAccepted() throws Exception {
        String token = mint(RSA, JWSAlgorithm.RS256, claims("aud", List.of("other", AUDIENCE)));
        assertThat(inline(List.of(publicJson(RSA))).verify(token).userId()).isEqualTo("user-1");
    }

    @Test
    void keysFromAJwksUrlVerifyEveryAsymmetricFamily() throws Exception {
        StubJwksFetcher fetcher = new StubJwksFetcher(jwksJson(RSA, EC_256, ED.publicJwk()));
        ClientAuthConfig config = new ClientAuthConfig(List.of(URI.create("https://idp.example.com/jwks.json")),
                List.of(), List.of(AUDIENCE), false, false, Optional.empty());
        try (ClientAuth auth = ClientAuth.start(config, TokenVerifier.DEFAULT_MAX_LIFETIME, clock, fetcher,
                ClientAuth.JwksSettings.DEFAULT)) {
            TokenVerifier verifier = auth.verifier();
            assertThat(verifier.verify(mint(RSA, JWSAlgorithm.RS512)).userId()).isEqualTo("user-1");
            assertThat(verifier.verify(mint(EC_256, JWSAlgorithm.ES256)).userId()).isEqualTo("user-1");
            assertThat(verifier.verify(mintEd(ED, claims())).userId()).isEqualTo("user-1");
        }
    }

    @Test
    void supabaseSecretAcceptsAuthenticatedAudienceAndAWeekLongToken() throws Exception {
        String secret = "super-secret-jwt-token-with-at-least-32-characters-long";
        ClientAuthConfig config = new ClientAuthConfig(List.of(), List.of(), List.of(AUDIENCE), false, true,
                Optional.of(new Secret(secret)));
        TokenVerifier verifier = new TokenVerifier(KeySource.of(ClientAuth.staticKeys(config)), List.of(AUDIENCE),
                TokenVerifier.DEFAULT_MAX_LIFETIME, clock);
        String token = mint(JWSAlgorithm.HS256, "any-kid",
                new com.nimbusds.jose.crypto.MACSigner(secret.getBytes(StandardCharsets.UTF_8)),
                claims("aud", "authenticated", "exp", NOW.plus(Duration.ofDays(7)).getEpochSecond()));
        assertThat(verifier.verify(token).userId()).isEqualTo("user-1");
    }
}
