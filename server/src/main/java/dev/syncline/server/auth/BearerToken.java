package dev.syncline.server.auth;

import java.util.Locale;

/** Takes the JWT out of an {@code Authorization} header value ({@code Token <jwt>} or {@code Bearer <jwt>}). */
final class BearerToken {
    private BearerToken() {}

    /**
     * Returns the bare token. A value without a scheme is taken as the token itself (the WebSocket
     * SETUP metadata and tests pass it that way). Length is checked before anything else is done.
     */
    static String extract(String headerValue, int maxTokenChars) throws AuthException {
        if (headerValue == null || headerValue.isBlank()) {
            throw new AuthException(AuthErrorCode.PSYNC_S2106,
                    "Authentication required: send `Authorization: Token <jwt>` (or `Bearer <jwt>`)");
        }
        // Early, before any decoding: a huge header must not cost parsing or signature work.
        if (headerValue.length() > maxTokenChars + "Bearer ".length() + 8) {
            throw tooLarge(maxTokenChars);
        }
        String value = headerValue.strip();
        String token;
        int space = value.indexOf(' ');
        if (space < 0) {
            // "Token " with nothing after it strips down to the bare scheme name.
            String lower = value.toLowerCase(Locale.ROOT);
            token = lower.equals("token") || lower.equals("bearer") ? "" : value;
        } else {
            String scheme = value.substring(0, space).toLowerCase(Locale.ROOT);
            if (!scheme.equals("token") && !scheme.equals("bearer")) {
                throw new AuthException(AuthErrorCode.PSYNC_S2106,
                        "unsupported authorization scheme — use `Token <jwt>` or `Bearer <jwt>`");
            }
            token = value.substring(space + 1).strip();
        }
        if (token.isEmpty()) {
            throw new AuthException(AuthErrorCode.PSYNC_S2106,
                    "Authentication required: the authorization header holds no token");
        }
        if (token.length() > maxTokenChars) {
            throw tooLarge(maxTokenChars);
        }
        return token;
    }

    private static AuthException tooLarge(int maxTokenChars) {
        return new AuthException(AuthErrorCode.PSYNC_S2101,
                "token is larger than " + maxTokenChars + " characters — keep custom claims small");
    }
}
