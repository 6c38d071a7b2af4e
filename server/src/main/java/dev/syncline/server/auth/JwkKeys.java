package dev.syncline.server.auth;

import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Turns JWKs into {@link VerificationKey}s, deciding once which algorithms each key may verify. */
final class JwkKeys {
    static final Set<JWSAlgorithm> HMAC = Set.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512);
    static final Set<JWSAlgorithm> RSA = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512);
    private static final Map<Curve, JWSAlgorithm> EC_BY_CURVE = Map.of(
            Curve.P_256, JWSAlgorithm.ES256, Curve.P_384, JWSAlgorithm.ES384, Curve.P_521, JWSAlgorithm.ES512);

    private JwkKeys() {}

    /** A key that can never verify a token here; the message names the key and why. */
    static final class UnusableKeyException extends Exception {
        UnusableKeyException(String message) { super(message, null, false, false); }
    }

    static VerificationKey fromMap(Map<String, Object> jwk, KeyPolicy policy, boolean allowSecrets, String source)
            throws UnusableKeyException {
        try {
            return fromJwk(JWK.parse(jwk), policy, allowSecrets, source);
        } catch (java.text.ParseException e) {
            // The map holds no secret worth hiding from nimbus' parse message, except `k`; say less.
            throw new UnusableKeyException(source + ": not a valid JWK (kty " + jwk.get("kty") + ", kid "
                    + jwk.get("kid") + ")");
        }
    }

    static VerificationKey fromJwk(JWK jwk, KeyPolicy policy, boolean allowSecrets, String source)
            throws UnusableKeyException {
        Optional<String> kid = Optional.ofNullable(jwk.getKeyID()).filter(k -> !k.isEmpty());
        String description = jwk.getKeyType() + kid.map(k -> " kid=" + k).orElse(" (no kid)") + " from " + source;
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
            throw new UnusableKeyException(description + ": `use` is " + jwk.getKeyUse().identifier() + ", not sig");
        }
        if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(KeyOperation.VERIFY)) {
            throw new UnusableKeyException(description + ": `key_ops` does not include verify");
        }
        try {
            return switch (jwk) {
                case RSAKey rsa -> key(kid, allowed(RSA, jwk.getAlgorithm(), description),
                        new RSASSAVerifier(rsa.toRSAPublicKey()), policy, description);
                case ECKey ec -> {
                    JWSAlgorithm alg = EC_BY_CURVE.get(ec.getCurve());
                    if (alg == null) {
                        throw new UnusableKeyException(description + ": curve " + ec.getCurve()
                                + " is not supported — use P-256, P-384 or P-521");
                    }
                    yield key(kid, allowed(Set.of(alg), jwk.getAlgorithm(), description),
                            new ECDSAVerifier(ec.toECPublicKey()), policy, description);
                }
                case OctetKeyPair okp -> {
                    EdDsaJdkVerifier.EdCurve curve = EdDsaJdkVerifier.EdCurve.of(okp.getCurve());
                    if (curve == null) {
                        throw new UnusableKeyException(description + ": curve " + okp.getCurve()
                                + " is not supported — use Ed25519 or Ed448");
                    }
                    yield key(kid, allowed(curve.algorithms, jwk.getAlgorithm(), description),
                            new EdDsaJdkVerifier(curve, okp.getDecodedX()), policy, description);
                }
                case OctetSequenceKey oct -> {
                    if (!allowSecrets) {
                        // A shared secret published at a URL is no secret: never trust one from there.
                        throw new UnusableKeyException(description + ": symmetric keys are not accepted from a JWKS URL");
                    }
                    yield key(kid, allowed(HMAC, jwk.getAlgorithm(), description),
                            new MACVerifier(oct.toByteArray()), policy, description);
                }
                default -> throw new UnusableKeyException(description + ": key type is not supported");
            };
        } catch (JOSEException | GeneralSecurityException e) {
            throw new UnusableKeyException(description + ": " + e.getMessage());
        }
    }

    private static VerificationKey key(Optional<String> kid, Set<JWSAlgorithm> algorithms, JWSVerifier verifier,
                                       KeyPolicy policy, String description) {
        return new VerificationKey(kid, algorithms, verifier, policy, description);
    }

    /** The JWK's own {@code alg} narrows the family to that one; one outside the family is a mistake. */
    private static Set<JWSAlgorithm> allowed(Set<JWSAlgorithm> family, Algorithm declared, String description)
            throws UnusableKeyException {
        if (declared == null) {
            return family;
        }
        JWSAlgorithm alg = JWSAlgorithm.parse(declared.getName());
        if (!family.contains(alg)) {
            throw new UnusableKeyException(description + ": `alg` " + declared.getName()
                    + " does not fit the key type — one of " + family.stream().map(Algorithm::getName).sorted().toList());
        }
        return Set.of(alg);
    }
}
