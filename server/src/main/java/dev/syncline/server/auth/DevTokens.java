package dev.syncline.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.syncline.server.config.ClientAuthConfig;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;

/**
 * Mints development tokens with a shared HMAC secret from the configuration ({@code kty: oct}
 * keys), for {@code syncline token} and the demo. Production apps mint tokens in their own auth
 * service; Syncline only verifies them.
 */
public final class DevTokens {
    private final byte[] secret;
    private final String keyId;
    private final JWSAlgorithm algorithm;
    private final String audience;
    private final Clock clock;

    private DevTokens(byte[] secret, String keyId, JWSAlgorithm algorithm, String audience, Clock clock) {
        this.secret = secret;
        this.keyId = keyId;
        this.algorithm = algorithm;
        this.audience = audience;
        this.clock = clock;
    }

    /** Uses the first {@code oct} key and the first audience of the configuration, if there are such. */
    public static Optional<DevTokens> from(ClientAuthConfig config, Clock clock) {
        if (config.audience().isEmpty()) {
            return Optional.empty();
        }
        for (Map<String, Object> key : config.jwks()) {
            if ("oct".equals(key.get("kty")) && key.get("k") instanceof String k) {
                Object alg = key.get("alg");
                JWSAlgorithm algorithm = alg instanceof String a ? JWSAlgorithm.parse(a) : JWSAlgorithm.HS256;
                Object kid = key.get("kid");
                return Optional.of(new DevTokens(new Base64URL(k).decode(), kid instanceof String s ? s : null,
                        algorithm, config.audience().getFirst(), clock));
            }
        }
        return Optional.empty();
    }

    public String mint(String subject, Duration lifetime) {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(subject).audience(audience)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(lifetime))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(keyId).build(), claims);
        try {
            jwt.sign(new MACSigner(secret));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a development token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }
}
