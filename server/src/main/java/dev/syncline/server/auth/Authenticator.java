package dev.syncline.server.auth;

import dev.syncline.server.sync.SyncException;

/** Verifies the {@code Authorization} header value ({@code Token <jwt>} or {@code Bearer <jwt>}). */
@FunctionalInterface
public interface Authenticator {
    /** @throws SyncException with status 401 and a PSYNC_S21xx code when the token is not accepted */
    AuthenticatedUser authenticate(String authorizationHeader);
}
