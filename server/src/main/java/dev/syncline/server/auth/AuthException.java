package dev.syncline.server.auth;

import java.util.Objects;

/**
 * A client token was refused. The description is safe to send to the client and to log: it never
 * contains the token, its signature or a secret, only what was wrong and what to do about it.
 * Carries no cause on purpose, so a library message quoting token bytes cannot leak through it.
 */
public final class AuthException extends Exception {
    /** Every auth failure is a 401, so the client fetches new credentials. */
    public static final int STATUS = 401;

    private final AuthErrorCode code;
    private final String description;

    public AuthException(AuthErrorCode code, String description) {
        super("[" + code + "] " + description, null, false, false);
        this.code = Objects.requireNonNull(code, "code");
        this.description = Objects.requireNonNull(description, "description");
    }

    public AuthErrorCode code() { return code; }

    public int status() { return STATUS; }

    public String description() { return description; }
}
