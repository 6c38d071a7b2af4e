package dev.syncline.server.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Checks the claims of a token whose signature is already verified. Pure: claims, the time and the
 * limits in; a {@link VerifiedToken} or an {@link AuthException} out. Order as in PowerSync: required
 * claims, expiry, not-yet-valid, audience, lifetime, {@code parameters}. Descriptions name the claim
 * at fault but neither its value nor the server's configuration (RELIABILITY.md, leakage).
 */
final class ClaimsCheck {
    private ClaimsCheck() {}

    static VerifiedToken check(Map<String, Object> claims, String payloadJson, Instant now, Duration tolerance,
                               List<String> audiences, Duration maxLifetime) throws AuthException {
        String sub = requiredSub(claims);
        Instant iat = requiredTime(claims, "iat");
        Instant exp = requiredTime(claims, "exp");
        if (!now.isBefore(exp.plus(tolerance))) {
            throw new AuthException(AuthErrorCode.PSYNC_S2103, "token has expired (exp " + exp
                    + ", now " + now + ") — fetch a new token");
        }
        if (claims.containsKey("nbf")) {
            Instant nbf = requiredTime(claims, "nbf");
            if (nbf.isAfter(now.plus(tolerance))) {
                throw new AuthException(AuthErrorCode.PSYNC_S2101, "token is not valid yet (nbf " + nbf
                        + ", now " + now + ") — check the issuer's clock");
            }
        }
        if (iat.isAfter(now.plus(tolerance))) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "token is issued in the future (iat " + iat
                    + ", now " + now + ") — check the issuer's clock");
        }
        checkAudience(claims.get("aud"), audiences);
        long lifetime = exp.getEpochSecond() - iat.getEpochSecond();
        if (lifetime > maxLifetime.toSeconds()) {
            throw new AuthException(AuthErrorCode.PSYNC_S2104, "token lifetime (exp − iat) is " + lifetime
                    + " s; at most " + maxLifetime.toSeconds() + " s is accepted — issue shorter-lived tokens");
        }
        Object parameters = claims.get("parameters");
        if (parameters != null && !(parameters instanceof Map<?, ?>)) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "claim `parameters` must be a JSON object");
        }
        return new VerifiedToken(sub, claims, payloadJson, exp, iat);
    }

    private static String requiredSub(Map<String, Object> claims) throws AuthException {
        Object sub = claims.get("sub");
        if (sub == null) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "token is missing the required claim `sub` (the user id)");
        }
        if (!(sub instanceof String s) || s.isEmpty()) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "claim `sub` must be a non-empty string");
        }
        return s;
    }

    private static Instant requiredTime(Map<String, Object> claims, String name) throws AuthException {
        Object value = claims.get(name);
        if (value == null) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "token is missing the required claim `" + name + "`");
        }
        if (!(value instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "claim `" + name + "` must be a number of seconds since 1970");
        }
        double seconds = n.doubleValue();
        // Beyond this an Instant overflows; no honest token is dated there.
        if (Math.abs(seconds) > 1e13) {
            throw new AuthException(AuthErrorCode.PSYNC_S2101, "claim `" + name + "` is out of range");
        }
        return n instanceof Long || n instanceof Integer
                ? Instant.ofEpochSecond(n.longValue())
                : Instant.ofEpochSecond((long) Math.floor(seconds));
    }

    private static void checkAudience(Object aud, List<String> audiences) throws AuthException {
        if (aud == null) {
            throw new AuthException(AuthErrorCode.PSYNC_S2105, "token is missing the required claim `aud`");
        }
        List<?> values = aud instanceof List<?> list ? list : List.of(aud);
        for (Object value : values) {
            if (!(value instanceof String)) {
                throw new AuthException(AuthErrorCode.PSYNC_S2105, "claim `aud` must be a string or an array of strings");
            }
        }
        if (values.stream().noneMatch(audiences::contains)) {
            throw new AuthException(AuthErrorCode.PSYNC_S2105, "claim `aud` names none of the audiences this server accepts"
                    + " (client_auth.audience)");
        }
    }
}
