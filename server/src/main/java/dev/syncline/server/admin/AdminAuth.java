package dev.syncline.server.admin;

import dev.syncline.server.errors.ServerError;
import dev.syncline.server.config.Secret;
import dev.syncline.server.sync.SyncException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Checks {@code Authorization: Bearer <admin token>} against the configured admin token. User JWTs
 * are never accepted here: only the exact admin token opens the admin API. Both sides are hashed
 * before {@link MessageDigest#isEqual} so the comparison takes the same time whatever the length
 * or the first differing byte.
 */
public final class AdminAuth {
    /** No {@code admin.token} configured: the admin API does not exist on this server. */
    public static final String DISABLED = ServerError.SYNC_A1003.code();
    public static final String MISSING = ServerError.SYNC_A1001.code();
    public static final String WRONG = ServerError.SYNC_A1002.code();

    private final Optional<byte[]> expected;

    public AdminAuth(Optional<Secret> token) {
        this.expected = token.map(t -> sha256(t.reveal()));
    }

    /** Throws a {@link SyncException} (404 disabled, 401 missing or wrong) unless {@code header} carries the token. */
    public void check(String header) {
        if (expected.isEmpty()) {
            throw new SyncException(DISABLED, 404, "the admin API is disabled: set `admin.token` in the config"
                    + " (e.g. `admin: { token: ${SYNCLINE_ADMIN_TOKEN} }`) and restart");
        }
        String prefix = "Bearer ";
        if (header == null || header.length() <= prefix.length() || !header.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw new SyncException(MISSING, 401, "send the admin token as `Authorization: Bearer <admin.token>`");
        }
        byte[] given = sha256(header.substring(prefix.length()).trim());
        if (!MessageDigest.isEqual(given, expected.get())) {
            throw new SyncException(WRONG, 401, "the bearer token is not the admin token (`admin.token`);"
                    + " user JWTs are not accepted by the admin API");
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
