package dev.syncline.server.auth;

import dev.syncline.server.auth.AuthException;
import dev.syncline.server.auth.TokenVerifier;
import dev.syncline.server.auth.VerifiedToken;
import dev.syncline.server.sync.SyncException;

/** {@link Authenticator} over the JWT {@link TokenVerifier}: PSYNC_S21xx codes, status 401. */
public final class JwtAuthenticator implements Authenticator {
    private final TokenVerifier verifier;

    public JwtAuthenticator(TokenVerifier verifier) {
        this.verifier = verifier;
    }

    @Override
    public AuthenticatedUser authenticate(String authorizationHeader) {
        try {
            VerifiedToken token = verifier.verify(authorizationHeader);
            return new AuthenticatedUser(token.userId(), token.payloadJson(), token.expiresAt());
        } catch (AuthException e) {
            throw new SyncException(e.code().name(), e.status(), e.description());
        }
    }
}
