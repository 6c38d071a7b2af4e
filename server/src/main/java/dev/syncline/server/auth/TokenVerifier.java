package dev.syncline.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Verifies client JWTs as PowerSync does (PROTOCOL.md §6). Signature first, claims after, so nothing
 * about an unsigned token's claims is ever reported.
 *
 * <p>Key choice: a token with a {@code kid} is checked with the key of that {@code kid} only, and the
 * token's {@code alg} must be one that key allows; if no key has that {@code kid}, keys without a
 * {@code kid} (wildcards, as in PowerSync) are tried. A token without a {@code kid} is tried against
 * every key whose algorithms include its {@code alg}. When nothing verifies, the JWKS URLs are
 * refreshed (rate-limited by the source) and the choice is made once more. An HS256 token is
 * therefore never checked with an RSA key's bytes, and {@code alg: none} never gets this far.
 *
 * <p>Thread-safe and cheap to call concurrently; the only blocking is a rate-limited JWKS refresh.
 */
public final class TokenVerifier {
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofDays(1);
    public static final Duration CLOCK_TOLERANCE = Duration.ofSeconds(60);
    /** Tokens above this are refused before decoding; real ones are well under 2 KB. */
    public static final int MAX_TOKEN_CHARS = 16 * 1024;

    static final Set<JWSAlgorithm> SUPPORTED = Set.of(
            JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512,
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
            JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519, JWSAlgorithm.Ed448);
    private static final Pattern PRINTABLE_KID = Pattern.compile("[A-Za-z0-9._:+/=-]{1,64}");

    private final KeySource keys;
    private final List<String> audiences;
    private final Duration maxLifetime;
    private final Clock clock;

    /**
     * @param audiences   the {@code aud} values accepted (one must appear in the token); empty
     *                    accepts no token except those of keys with their own audiences (Supabase)
     * @param maxLifetime the longest {@code exp − iat} accepted; {@link #DEFAULT_MAX_LIFETIME} is PowerSync's
     */
    public TokenVerifier(KeySource keys, List<String> audiences, Duration maxLifetime, Clock clock) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.audiences = List.copyOf(audiences);
        this.maxLifetime = Objects.requireNonNull(maxLifetime, "maxLifetime");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (maxLifetime.isNegative() || maxLifetime.isZero()) {
            throw new IllegalArgumentException("maxLifetime must be positive, got " + maxLifetime);
        }
    }

    /**
     * Verifies an {@code Authorization} header value ({@code Token <jwt>}, {@code Bearer <jwt>}) or a
     * bare token.
     *
     * @throws AuthException with the PowerSync code and a description that never contains the token
     */
    public VerifiedToken verify(String authorization) throws AuthException {
        String token = BearerToken.extract(authorization, MAX_TOKEN_CHARS);
        SignedJWT jwt = parseSigned(token);
        JWSHeader header = jwt.getHeader();
        JWSAlgorithm alg = header.getAlgorithm();
        if (!SUPPORTED.contains(alg)) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "token algorithm " + alg.getName()
                    + " is not accepted — use HS256/384/512, RS256/384/512, ES256/384/512 or EdDSA");
        }
        if (!header.isBase64URLEncodePayload()) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "unencoded payloads (b64: false) are not accepted");
        }
        VerificationKey key = findVerifyingKey(jwt, Optional.ofNullable(header.getKeyID()), alg);
        Map<String, Object> claims = jwt.getPayload().toJSONObject();
        if (claims == null) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "token payload is not a JSON object");
        }
        return ClaimsCheck.check(claims, jwt.getPayload().toString(), clock.instant(), CLOCK_TOLERANCE,
                key.policy().audiences().orElse(audiences), key.policy().maxLifetime().orElse(maxLifetime));
    }

    private static SignedJWT parseSigned(String token) throws AuthException {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            // nimbus' message may quote header bytes; say only what the client must fix.
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "token is not a well-formed JWT — expected"
                    + " three base64url parts: header.payload.signature");
        }
        return switch (jwt) {
            case SignedJWT signed -> signed;
            case PlainJWT plain -> throw new AuthException(AuthErrorCode.PSYNC_S2101,
                    "unsigned tokens (alg: none) are never accepted");
            case EncryptedJWT encrypted -> throw new AuthException(AuthErrorCode.PSYNC_S2101,
                    "encrypted tokens (JWE) are not accepted — send a signed JWT");
            default -> throw new AuthException(AuthErrorCode.PSYNC_S2101, "token is not a signed JWT");
        };
    }

    private VerificationKey findVerifyingKey(SignedJWT jwt, Optional<String> kid, JWSAlgorithm alg)
            throws AuthException {
        Optional<VerificationKey> found = tryKeys(jwt, kid, alg);
        if (found.isEmpty() && keys.refreshForUnknownKey()) {
            found = tryKeys(jwt, kid, alg);
        }
        return found.orElseThrow(() -> new AuthException(AuthErrorCode.PSYNC_S2101,
                kid.map(k -> "no key with kid " + printable(k) + " verifies this " + alg.getName() + " token")
                        .orElse("no configured key verifies this " + alg.getName() + " token")
                        + " — the key is unknown or the signature does not match"));
    }

    /** Empty when no key verifies; throws when the named key exists but forbids the algorithm. */
    private Optional<VerificationKey> tryKeys(SignedJWT jwt, Optional<String> kid, JWSAlgorithm alg)
            throws AuthException {
        List<VerificationKey> all = keys.keys();
        List<VerificationKey> candidates;
        if (kid.isPresent()) {
            List<VerificationKey> named = all.stream().filter(k -> k.kid().equals(kid)).toList();
            if (!named.isEmpty()) {
                candidates = named.stream().filter(k -> k.fits(alg)).toList();
                if (candidates.isEmpty()) {
                    throw new AuthException(AuthErrorCode.PSYNC_S2101, "token algorithm " + alg.getName()
                            + " does not match the algorithm of key " + printable(kid.get()));
                }
                return firstVerifying(jwt, candidates);
            }
            candidates = all.stream().filter(k -> k.kid().isEmpty() && k.fits(alg)).toList();
        } else {
            candidates = all.stream().filter(k -> k.fits(alg)).toList();
        }
        return firstVerifying(jwt, candidates);
    }

    private static Optional<VerificationKey> firstVerifying(SignedJWT jwt, List<VerificationKey> candidates) {
        for (VerificationKey key : candidates) {
            try {
                if (jwt.verify(key.verifier())) {
                    return Optional.of(key);
                }
            } catch (JOSEException e) {
                // e.g. an HS512 token against a 256-bit secret: this key cannot verify it, try the next.
            }
        }
        return Optional.empty();
    }

    private static String printable(String kid) {
        return PRINTABLE_KID.matcher(kid).matches() ? "`" + kid + "`" : "(unprintable kid)";
    }
}
