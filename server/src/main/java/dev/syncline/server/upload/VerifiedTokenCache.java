package dev.syncline.server.upload;

import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers which {@code Authorization} header values were verified, so a client that uploads
 * many times with one token has it verified once (signature, claims, key lookup cost about as
 * much CPU as a small upload's own work). An entry is used only before the token's {@code exp} and
 * for at most {@link #MAX_AGE} after it was verified, so a key withdrawn from the JWKS stops
 * accepting its tokens within a minute; a token that is refused is never remembered. Past either
 * limit, the header is verified again by the wrapped authenticator, which decides.
 */
public final class VerifiedTokenCache implements Authenticator {
    static final Duration MAX_AGE = Duration.ofSeconds(60);
    /** More distinct tokens than this within {@link #MAX_AGE}: start over rather than grow. */
    static final int MAX_ENTRIES = 10_000;

    private record Entry(AuthenticatedUser user, Instant usableUntil) {}

    private final Authenticator authenticator;
    private final Clock clock;
    private final ConcurrentHashMap<String, Entry> verified = new ConcurrentHashMap<>();

    public VerifiedTokenCache(Authenticator authenticator, Clock clock) {
        this.authenticator = authenticator;
        this.clock = clock;
    }

    @Override
    public AuthenticatedUser authenticate(String authorizationHeader) {
        Instant now = clock.instant();
        if (authorizationHeader != null) {
            Entry entry = verified.get(authorizationHeader);
            if (entry != null) {
                if (now.isBefore(entry.usableUntil())) {
                    return entry.user();
                }
                verified.remove(authorizationHeader, entry);
            }
        }
        AuthenticatedUser user = authenticator.authenticate(authorizationHeader); // throws when refused
        Instant until = now.plus(MAX_AGE);
        if (user.expiresAt().isBefore(until)) {
            until = user.expiresAt();
        }
        if (authorizationHeader != null && now.isBefore(until)) {
            if (verified.size() >= MAX_ENTRIES) {
                verified.clear();
            }
            verified.put(authorizationHeader, new Entry(user, until));
        }
        return user;
    }
}
