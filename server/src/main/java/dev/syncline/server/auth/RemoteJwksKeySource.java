package dev.syncline.server.auth;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys from one JWKS URL, cached. {@link #refresh()} is called on a schedule ({@link JwksRefresher});
 * {@link #refreshForUnknownKey()} lets a token with an unknown {@code kid} trigger an early fetch, at
 * most once per {@code minRefreshGap}.
 *
 * <p>A failed fetch (unreachable, slow, non-200, not a JWK set) keeps the keys of the last good one:
 * an identity provider's outage must not log every user out. The failure is logged once, at WARN,
 * until a fetch succeeds again. A well-formed set replaces the cache whole, so a key removed from the
 * endpoint (revoked) stops verifying at the next refresh.
 *
 * <p>Thread-safe: fetches are serialised; {@link #keys()} reads a volatile snapshot and never blocks.
 */
public final class RemoteJwksKeySource implements KeySource {
    private static final Logger log = LoggerFactory.getLogger(RemoteJwksKeySource.class);

    private final URI uri;
    private final JwksFetcher fetcher;
    private final Clock clock;
    private final Duration minRefreshGap;
    private final KeyPolicy policy;

    private volatile List<VerificationKey> keys = List.of();
    private volatile Optional<String> lastError = Optional.empty();
    private final ReentrantLock fetching = new ReentrantLock();
    private Instant lastAttempt = Instant.MIN; // guarded by fetching

    public RemoteJwksKeySource(URI uri, JwksFetcher fetcher, Clock clock, Duration minRefreshGap, KeyPolicy policy) {
        this.uri = Objects.requireNonNull(uri, "uri");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.minRefreshGap = Objects.requireNonNull(minRefreshGap, "minRefreshGap");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    public URI uri() { return uri; }

    @Override
    public List<VerificationKey> keys() { return keys; }

    /** Why the last fetch failed, while the cache is stale; empty after a success. */
    public Optional<String> lastError() { return lastError; }

    /** Fetches now (waiting for a fetch in progress first). Never throws: failures keep the cached keys. */
    public boolean refresh() {
        fetching.lock();
        try {
            return fetchLocked();
        } finally {
            fetching.unlock();
        }
    }

    /** Returns true on success. */
    private boolean fetchLocked() {
        lastAttempt = clock.instant();
        String source = "jwks_uri " + uri;
        try {
            JwksDocument.Parsed parsed = JwksDocument.parse(fetcher.fetch(uri), policy, source);
            for (String skipped : parsed.skipped()) {
                log.debug("skipped a key: {}", skipped);
            }
            keys = parsed.keys();
            if (lastError.isPresent()) {
                log.info("JWKS {} is back: {} key(s)", uri, parsed.keys().size());
            }
            lastError = Optional.empty();
            return true;
        } catch (Exception e) { // IOException, MalformedJwksException, and a fetcher's RuntimeException
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (lastError.isEmpty()) {
                log.warn("could not refresh JWKS {} — keeping {} cached key(s) and retrying: {}",
                        uri, keys.size(), reason);
            } else {
                log.debug("JWKS {} still failing: {}", uri, reason);
            }
            lastError = Optional.of(reason);
            return false;
        }
    }

    /**
     * Fetches unless one was attempted less than {@code minRefreshGap} ago or one is in progress:
     * requests never queue up behind a slow endpoint, at most the one that triggered the fetch waits.
     */
    @Override
    public boolean refreshForUnknownKey() {
        if (!fetching.tryLock()) {
            return false;
        }
        try {
            Instant now = clock.instant();
            if (!lastAttempt.equals(Instant.MIN) && now.isBefore(lastAttempt.plus(minRefreshGap))) {
                return false;
            }
            return fetchLocked();
        } finally {
            fetching.unlock();
        }
    }
}
