package dev.syncline.server.config;

import java.util.Optional;

/**
 * The admin API ({@code /api/admin/v1/...}): its bearer token, separate from the users' JWTs.
 * Without a token (key absent or empty, e.g. {@code ${SYNCLINE_ADMIN_TOKEN:-}}) the admin API is
 * disabled and answers 404 with {@code SYNC_A1003}.
 */
public record AdminConfig(Optional<Secret> token) {
    /** Shorter tokens are guessable; the API is reachable wherever the sync API is. */
    public static final int MIN_TOKEN_LENGTH = 16;

    public static AdminConfig disabled() {
        return new AdminConfig(Optional.empty());
    }

    static AdminConfig read(Section s) {
        Optional<String> token = s.string("token").filter(t -> !t.isEmpty());
        if (token.isPresent() && token.get().length() < MIN_TOKEN_LENGTH) {
            s.problem("token", "is " + token.get().length() + " characters, at least " + MIN_TOKEN_LENGTH
                    + " are needed — generate one with `openssl rand -hex 32`");
        }
        return new AdminConfig(token.map(Secret::new));
    }
}
