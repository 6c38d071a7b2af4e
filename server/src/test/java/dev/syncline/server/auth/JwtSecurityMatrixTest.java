package dev.syncline.server.auth;

import static dev.syncline.server.auth.JwtFixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The token row of RELIABILITY.md's security matrix: each bad token is refused with its PSYNC code,
 * and no description quotes the token.
 */
class JwtSecurityMatrixTest {
    private final MutableClock clock = new MutableClock(NOW);
    private final List<VerificationKey> keys = keys(
            withAlg(publicJson(RSA), "RS256"), publicJson(EC_256), publicJson(ED.publicJwk()),
            secretJson(HS_256, JWSAlgorithm.HS256));
    private TokenVerifier verifier = new TokenVerifier(KeySource.of(keys), List.of(AUDIENCE),
            TokenVerifier.DEFAULT_MAX_LIFETIME, clock);

    private static Map<String, Object> withAlg(Map<String, Object> jwk, String alg) {
        Map<String, Object> copy = new java.util.LinkedHashMap<>(jwk);
        copy.put("alg", alg);
        return copy;
    }

    @SafeVarargs
    private static List<VerificationKey> keys(Map<String, Object>... jwks) {
        return java.util.Arrays.stream(jwks).map(j -> generate(() ->
                JwkKeys.fromMap(j, KeyPolicy.DEFAULT, true, "test"))).toList();
    }

    private AuthException refused(String authorization, AuthErrorCode code) {
        AuthException e = catchThrowableOfType(AuthException.class, () -> verifier.verify(authorization));
        assertThat(e).as("refused: %s", authorization == null ? null : abbreviate(authorization)).isNotNull();
        assertThat(e.code()).as(e.description()).isEqualTo(code);
        assertThat(e.status()).isEqualTo(401);
        if (authorization != null) {
            for (String part : authorization.replaceFirst("^(Token|Bearer) ", "").split("\\.")) {
                if (part.length() > 12) {
                    assertThat(e.description()).doesNotContain(part).doesNotContain(part.substring(0, 12));
                }
            }
        }
        return e;
    }

    private static String abbreviate(String s) { return s.length() > 60 ? s.substring(0, 60) + "…" : s; }

    private void accepted(String token) throws AuthException {
        assertThat(verifier.verify(token).userId()).isEqualTo("user-1");
    }

    private static String rs256(Map<String, Object> claims) {
        return "Token " + mint(RSA, JWSAlgorithm.RS256, claims);
    }

    @Nested
    class Header {
        @Test
        void missingOrBlankHeaderIsS2106() {
            refused(null, AuthErrorCode.PSYNC_S2106);
            refused("", AuthErrorCode.PSYNC_S2106);
            refused("   ", AuthErrorCode.PSYNC_S2106);
        }

        @Test
        void schemeWithoutTokenOrUnknownSchemeIsS2106() {
            refused("Token ", AuthErrorCode.PSYNC_S2106);
            refused("Bearer    ", AuthErrorCode.PSYNC_S2106);
            refused("Basic dXNlcjpwYXNz", AuthErrorCode.PSYNC_S2106);
        }

        @Test
        void schemeIsCaseInsensitiveAndBareTokensWork() throws Exception {
            String token = mint(RSA, JWSAlgorithm.RS256);
            accepted("bearer " + token);
            accepted("TOKEN " + token);
            accepted(token);
        }
    }

    @Nested
    class Malformed {
        @Test
        void notAJwtIsS2101() {
            refused("Token not-a-jwt", AuthErrorCode.PSYNC_S2101);
            refused("Token a.b", AuthErrorCode.PSYNC_S2101);
            refused("Token a.b.c", AuthErrorCode.PSYNC_S2101);
            refused("Token " + Base64URL.encode("{\"alg\":") + "." + Base64URL.encode("{}") + ".c2ln",
                    AuthErrorCode.PSYNC_S2101);
        }

        @Test
        void payloadThatIsNotAJsonObjectIsS2101() {
            String header = Base64URL.encode("{\"alg\":\"HS256\",\"kid\":\"hs-256\"}").toString();
            String payload = Base64URL.encode("[1,2,3]").toString();
            String token = header + "." + payload + "." + hmac(header + "." + payload);
            refused("Token " + token, AuthErrorCode.PSYNC_S2101);
        }

        @Test
        void oversizedTokenIsRefusedBeforeDecoding() {
            String token = mint(RSA, JWSAlgorithm.RS256, claims("padding", "x".repeat(20_000)));
            AuthException e = refused("Token " + token, AuthErrorCode.PSYNC_S2101);
            assertThat(e.description()).contains("larger than");
            refused("Token " + "a".repeat(1_000_000), AuthErrorCode.PSYNC_S2101);
        }
    }

    @Nested
    class Algorithms {
        @Test
        void algNoneIsNeverAccepted() {
            String unsigned = new PlainJWT(toClaims(claims())).serialize();
            assertThat(refused("Token " + unsigned, AuthErrorCode.PSYNC_S2101).description()).contains("alg: none");
            // Same, with a signature part attached and other spellings of "none".
            refused("Token " + unsigned + "c2ln", AuthErrorCode.PSYNC_S2101);
            String payload = Base64URL.encode(com.nimbusds.jose.util.JSONObjectUtils.toJSONString(claims())).toString();
            for (String none : List.of("None", "NONE", "nOnE")) {
                String header = Base64URL.encode("{\"alg\":\"" + none + "\"}").toString();
                refused("Token " + header + "." + payload + ".", AuthErrorCode.PSYNC_S2101);
            }
        }

        @Test
        void hs256SignedWithTheRsaPublicKeyIsRefused() throws Exception {
            byte[] rsaPublic = RSA.toRSAPublicKey().getEncoded();
            MACSigner confused = new MACSigner(rsaPublic);
            // Naming the RSA key's kid: that key allows RS256 only.
            assertThat(refused("Token " + mint(JWSAlgorithm.HS256, RSA.getKeyID(), confused, claims()),
                    AuthErrorCode.PSYNC_S2101).description()).contains("does not match the algorithm");
            // Without a kid: no HMAC key is made from the RSA key's bytes, so nothing verifies it.
            refused("Token " + mint(JWSAlgorithm.HS256, null, confused, claims()), AuthErrorCode.PSYNC_S2101);
            // The JWK's JSON text as the secret, another classic of the attack.
            MACSigner confusedJson = new MACSigner(RSA.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8));
            refused("Token " + mint(JWSAlgorithm.HS256, null, confusedJson, claims()), AuthErrorCode.PSYNC_S2101);
        }

        @Test
        void unknownKidIsS2101() {
            String token = mint(JWSAlgorithm.RS256, "no-such-key", signer(RSA), claims());
            assertThat(refused("Token " + token, AuthErrorCode.PSYNC_S2101).description()).contains("no-such-key");
        }

        @Test
        void kidWithTheWrongAlgorithmIsS2101() throws Exception {
            // The RSA JWK says alg RS256; an RS512 token naming it is refused even though the signature is fine.
            refused("Token " + mint(RSA, JWSAlgorithm.RS512), AuthErrorCode.PSYNC_S2101);
            // The secret says HS256.
            refused("Token " + mint(JWSAlgorithm.HS512, HS_256.getKeyID(), new MACSigner(HS_512.toByteArray()),
                    claims()), AuthErrorCode.PSYNC_S2101);
            // A P-256 key only verifies ES256.
            refused("Token " + mint(JWSAlgorithm.ES384, EC_256.getKeyID(), signer(EC_384), claims()),
                    AuthErrorCode.PSYNC_S2101);
        }

        @Test
        void unknownCriticalHeaderIsS2101() throws Exception {
            for (com.nimbusds.jose.jwk.JWK key : List.of(RSA, HS_256)) {
                JWSAlgorithm alg = key == RSA ? JWSAlgorithm.RS256 : JWSAlgorithm.HS256;
                com.nimbusds.jose.JWSHeader header = new com.nimbusds.jose.JWSHeader.Builder(alg)
                        .keyID(key.getKeyID()).criticalParams(java.util.Set.of("acme")).customParam("acme", 1).build();
                com.nimbusds.jose.JWSObject jws = new com.nimbusds.jose.JWSObject(header,
                        new com.nimbusds.jose.Payload(claims()));
                jws.sign(signer(key));
                refused("Token " + jws.serialize(), AuthErrorCode.PSYNC_S2101);
            }
            String edHeader = Base64URL.encode("{\"alg\":\"EdDSA\",\"kid\":\"ed-1\",\"crit\":[\"acme\"],\"acme\":1}").toString();
            String payload = Base64URL.encode(com.nimbusds.jose.util.JSONObjectUtils.toJSONString(claims())).toString();
            java.security.Signature sig = java.security.Signature.getInstance("Ed25519");
            sig.initSign(ED.privateKey());
            sig.update((edHeader + "." + payload).getBytes(StandardCharsets.US_ASCII));
            refused("Token " + edHeader + "." + payload + "." + Base64URL.encode(sig.sign()), AuthErrorCode.PSYNC_S2101);
        }

        @Test
        void unsupportedAlgorithmIsS2101() {
            refused("Token " + mint(RSA, JWSAlgorithm.PS256), AuthErrorCode.PSYNC_S2101);
        }

        @Test
        void signatureByAnotherKeyUnderAKnownKidIsS2101() {
            refused("Token " + mint(JWSAlgorithm.RS256, RSA.getKeyID(), signer(RSA_2), claims()),
                    AuthErrorCode.PSYNC_S2101);
        }
    }

    @Nested
    class Tampering {
        @Test
        void tamperedPayloadIsS2101() {
            String[] parts = mint(RSA, JWSAlgorithm.RS256).split("\\.");
            String forged = Base64URL.encode(com.nimbusds.jose.util.JSONObjectUtils.toJSONString(
                    claims("sub", "admin"))).toString();
            refused("Token " + parts[0] + "." + forged + "." + parts[2], AuthErrorCode.PSYNC_S2101);
        }

        @Test
        void tamperedSignatureOrHeaderIsS2101() {
            String[] parts = mint(EC_256, JWSAlgorithm.ES256).split("\\.");
            char last = parts[2].charAt(10);
            String sig = parts[2].substring(0, 10) + (last == 'A' ? 'B' : 'A') + parts[2].substring(11);
            refused("Token " + parts[0] + "." + parts[1] + "." + sig, AuthErrorCode.PSYNC_S2101);
            refused("Token " + parts[0] + "." + parts[1] + ".", AuthErrorCode.PSYNC_S2101);
            String header = Base64URL.encode("{\"alg\":\"ES256\",\"kid\":\"ec-256\",\"x\":1}").toString();
            refused("Token " + header + "." + parts[1] + "." + parts[2], AuthErrorCode.PSYNC_S2101);
        }
    }

    @Nested
    class Audience {
        @Test
        void wrongMissingOrMistypedAudIsS2105() {
            refused(rs256(claims("aud", "someone-else")), AuthErrorCode.PSYNC_S2105);
            refused(rs256(claims("aud", null)), AuthErrorCode.PSYNC_S2105);
            refused(rs256(claims("aud", List.of("a", "b"))), AuthErrorCode.PSYNC_S2105);
            refused(rs256(claims("aud", List.of())), AuthErrorCode.PSYNC_S2105);
            refused(rs256(claims("aud", 42)), AuthErrorCode.PSYNC_S2105);
            refused(rs256(claims("aud", List.of(AUDIENCE, 7))), AuthErrorCode.PSYNC_S2105);
        }

        @Test
        void arrayAudWithAMatchIsAccepted() throws Exception {
            accepted(rs256(claims("aud", List.of("a", AUDIENCE))));
        }

        @Test
        void noConfiguredAudienceRefusesEveryToken() {
            verifier = new TokenVerifier(KeySource.of(keys), List.of(), TokenVerifier.DEFAULT_MAX_LIFETIME, clock);
            refused(rs256(claims()), AuthErrorCode.PSYNC_S2105);
        }
    }

    @Nested
    class RequiredClaims {
        @Test
        void missingSubIatOrExpIsS2101() {
            for (String claim : List.of("sub", "iat", "exp")) {
                assertThat(refused(rs256(claims(claim, null)), AuthErrorCode.PSYNC_S2101).description())
                        .contains("`" + claim + "`");
            }
        }

        @Test
        void mistypedClaimsAreS2101() {
            refused(rs256(claims("sub", 17)), AuthErrorCode.PSYNC_S2101);
            refused(rs256(claims("sub", "")), AuthErrorCode.PSYNC_S2101);
            refused(rs256(claims("exp", "tomorrow")), AuthErrorCode.PSYNC_S2101);
            refused(rs256(claims("iat", true)), AuthErrorCode.PSYNC_S2101);
            refused(rs256(claims("nbf", "soon")), AuthErrorCode.PSYNC_S2101);
            refused(rs256(claims("exp", 1e300)), AuthErrorCode.PSYNC_S2101);
            refused(rs256(claims("parameters", List.of("x"))), AuthErrorCode.PSYNC_S2101);
        }
    }

    @Nested
    class Time {
        private final long now = NOW.getEpochSecond();

        @Test
        void expiredBeyondToleranceIsS2103() {
            refused(rs256(claims("iat", now - 3600, "exp", now - 61)), AuthErrorCode.PSYNC_S2103);
            refused(rs256(claims("iat", now - 3600, "exp", now - 60)), AuthErrorCode.PSYNC_S2103);
        }

        @Test
        void expiredWithinToleranceIsAccepted() throws Exception {
            accepted(rs256(claims("iat", now - 3600, "exp", now - 59)));
        }

        @Test
        void iatInTheFutureIsS2101() throws Exception {
            refused(rs256(claims("iat", now + 61, "exp", now + 3600)), AuthErrorCode.PSYNC_S2101);
            accepted(rs256(claims("iat", now + 59, "exp", now + 3600)));
        }

        @Test
        void nbfInTheFutureIsS2101() throws Exception {
            refused(rs256(claims("nbf", now + 61)), AuthErrorCode.PSYNC_S2101);
            accepted(rs256(claims("nbf", now + 59)));
            accepted(rs256(claims("nbf", now - 10)));
        }

        @Test
        void tokenExpiresWhileTheClockMoves() throws Exception {
            String token = rs256(claims());
            accepted(token);
            clock.advance(Duration.ofSeconds(3600 + 60));
            refused(token, AuthErrorCode.PSYNC_S2103);
        }

        @Test
        void lifetimeAboveTheMaximumIsS2104() throws Exception {
            long day = Duration.ofDays(1).toSeconds();
            refused(rs256(claims("iat", now, "exp", now + day + 1)), AuthErrorCode.PSYNC_S2104);
            accepted(rs256(claims("iat", now, "exp", now + day)));
            verifier = new TokenVerifier(KeySource.of(keys), List.of(AUDIENCE), Duration.ofMinutes(5), clock);
            refused(rs256(claims("iat", now, "exp", now + 301)), AuthErrorCode.PSYNC_S2104);
            accepted(rs256(claims("iat", now, "exp", now + 300)));
        }

        @Test
        void fractionalTimesAreAccepted() throws Exception {
            accepted(rs256(claims("iat", now + 0.5, "exp", now + 3600.25)));
        }
    }

    @Nested
    class Jwks {
        @Test
        void endpointDownWithNothingCachedRefusesWithS2101AndKeepsRunning() {
            StubJwksFetcher fetcher = new StubJwksFetcher("");
            fetcher.fail(new IOException("connection refused"));
            RemoteJwksKeySource remote = new RemoteJwksKeySource(URI.create("https://idp.example.com/jwks"), fetcher,
                    clock, Duration.ofSeconds(30), KeyPolicy.DEFAULT);
            verifier = new TokenVerifier(remote, List.of(AUDIENCE), TokenVerifier.DEFAULT_MAX_LIFETIME, clock);
            refused(rs256(claims()), AuthErrorCode.PSYNC_S2101);
            fetcher.crash(new IllegalStateException("bug in a fetcher"));
            clock.advance(Duration.ofMinutes(1));
            refused(rs256(claims()), AuthErrorCode.PSYNC_S2101);
            assertThat(fetcher.calls).hasValue(2);
        }
    }

    private static JWTClaimsSet toClaims(Map<String, Object> claims) {
        try {
            return JWTClaimsSet.parse(claims);
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hmac(String signingInput) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(HS_256.toByteArray(), "HmacSHA256"));
            return Base64URL.encode(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII))).toString();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
