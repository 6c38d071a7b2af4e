package dev.syncline.server.auth;

import java.io.IOException;
import java.net.URI;

/** Fetches the body of a JWKS URL. The one piece of I/O behind remote keys; tests use a stub. */
@FunctionalInterface
public interface JwksFetcher {
    /**
     * Returns the response body of a successful GET. Throws when the address is refused, the
     * endpoint is unreachable or slow past its timeout, answers non-200, or sends too much.
     */
    String fetch(URI uri) throws IOException;
}
