package dev.syncline.server.sync;

import dev.syncline.protocol.sync.SyncLine;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Runs one sync connection until its token expires (checked before every line; a writer that waits
 * for the client stops waiting at expiry too), the client goes away, or the server stops:
 * on every change of the feed that may concern it (see {@link Interest}) it asks the scope for the
 * connection's checkpoint, lets the producer turn it into lines and writes them; in between it
 * sends {@code token_expires_in} keepalives (PROTOCOL.md §3). Transport-agnostic: HTTP and WebSocket adapters supply the writer.
 */
public final class SyncSession {
    static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(20);
    static final Duration EXPIRY_WARNING = Duration.ofSeconds(20);

    private final SyncStreamProducer producer;
    private final CheckpointFeed feed;
    private final ConnectionScope scope;
    private final Instant tokenExpiresAt;
    private final Clock clock;

    public SyncSession(SyncStreamProducer producer, CheckpointFeed feed, ConnectionScope scope, Instant tokenExpiresAt,
                       Clock clock) {
        this.producer = producer;
        this.feed = feed;
        this.scope = scope;
        this.tokenExpiresAt = tokenExpiresAt;
        this.clock = clock;
    }

    /** How a session ended. */
    public enum End {
        TOKEN_EXPIRED,
        INTERRUPTED,
        /**
         * The connection's scope failed mid-stream (e.g. the user now has too many buckets): the
         * stream ends, and the client's reconnect gets the error with its status.
         */
        SCOPE_FAILED
    }

    public End run(LineWriter out) throws IOException {
        try (CheckpointFeed.Watch watch = feed.watch()) {
            return run(out, watch);
        } catch (LineWriter.TokenExpired e) {
            return End.TOKEN_EXPIRED; // the writer waited for the client until the token ran out
        }
    }

    private End run(LineWriter out, CheckpointFeed.Watch watch) throws IOException {
        long seen = Long.MIN_VALUE;
        Instant nextKeepalive = clock.instant();
        boolean warned = false;
        try {
            while (true) {
                Instant now = clock.instant();
                long secondsLeft = Math.max(0, Duration.between(now, tokenExpiresAt).toSeconds());
                if (!now.isBefore(tokenExpiresAt)) {
                    out.write(new SyncLine.TokenExpiresIn(0));
                    out.flush();
                    return End.TOKEN_EXPIRED;
                }
                boolean warnNow = !warned && !now.isBefore(tokenExpiresAt.minus(EXPIRY_WARNING));
                if (!now.isBefore(nextKeepalive) || warnNow) {
                    out.write(new SyncLine.TokenExpiresIn(secondsLeft));
                    out.flush();
                    nextKeepalive = now.plus(KEEPALIVE_INTERVAL);
                    warned |= warnNow;
                }
                boolean evaluate;
                if (seen == Long.MIN_VALUE) {
                    // Read before the scope opens its view: a change after this point is seen again.
                    seen = feed.generation();
                    evaluate = true;
                } else {
                    // Changes that touch none of this connection's buckets, lookups or write
                    // checkpoint cannot change its lines: they are skipped without evaluating.
                    CheckpointFeed.Wake wake = watch.await(seen, nextWake(now, nextKeepalive, warned));
                    seen = wake.generation();
                    evaluate = wake.relevant();
                }
                if (evaluate) {
                    ConnectionCheckpoint checkpoint;
                    try {
                        checkpoint = scope.current();
                    } catch (SyncException e) {
                        return End.SCOPE_FAILED;
                    }
                    watch.interest(checkpoint.interest());
                    boolean wrote = false;
                    try (SyncStreamProducer.Lines lines = producer.onCheckpoint(checkpoint)) {
                        while (lines.hasNext()) {
                            // A data phase can outlast the token (a large bucket, a slow client):
                            // checked before every line, not only between checkpoints.
                            if (!clock.instant().isBefore(tokenExpiresAt)) {
                                out.write(new SyncLine.TokenExpiresIn(0));
                                out.flush();
                                return End.TOKEN_EXPIRED;
                            }
                            out.write(lines.next());
                            wrote = true;
                        }
                    }
                    if (wrote) {
                        out.flush();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return End.INTERRUPTED;
        }
    }

    private Duration nextWake(Instant now, Instant nextKeepalive, boolean warned) {
        Instant wake = nextKeepalive.isBefore(tokenExpiresAt) ? nextKeepalive : tokenExpiresAt;
        Instant warning = tokenExpiresAt.minus(EXPIRY_WARNING);
        if (!warned && warning.isAfter(now) && warning.isBefore(wake)) {
            wake = warning;
        }
        Duration d = Duration.between(now, wake);
        return d.isNegative() ? Duration.ZERO : d;
    }
}
