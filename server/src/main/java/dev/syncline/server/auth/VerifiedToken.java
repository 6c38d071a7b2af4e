package dev.syncline.server.auth;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A token whose signature and claims were checked.
 *
 * @param userId      the {@code sub} claim, what sync rules see as {@code request.user_id()}
 * @param claims      the whole payload, parsed (numbers as {@link Long} or {@link Double})
 * @param payloadJson the payload exactly as signed, for {@code request.jwt()}: big numbers stay exact
 * @param expiresAt   {@code exp}
 * @param issuedAt    {@code iat}
 */
public record VerifiedToken(String userId, Map<String, Object> claims, String payloadJson,
                            Instant expiresAt, Instant issuedAt) {
    public VerifiedToken {
        Objects.requireNonNull(userId, "userId");
        claims = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(claims));
        Objects.requireNonNull(payloadJson, "payloadJson");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(issuedAt, "issuedAt");
    }

    /** The user id and times only: claims may carry personal data. */
    @Override
    public String toString() {
        return "VerifiedToken[userId=" + userId + ", issuedAt=" + issuedAt + ", expiresAt=" + expiresAt + "]";
    }
}
