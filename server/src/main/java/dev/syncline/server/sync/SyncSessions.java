package dev.syncline.server.sync;

import dev.syncline.server.errors.ServerError;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.auth.AuthenticatedUser;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens sync sessions for any transport: enforces the per-node and per-user connection limits
 * (so one token cannot take every slot of the node), checks the
 * connection's scope before the stream starts (so errors still get a status), counts lines and
 * bytes. Thread-safe.
 */
public final class SyncSessions {
    /**
     * @param maxConnections concurrent sync streams on this node; more get 429
     * @param maxOpsPerLine most ops in one {@code data} line
     * @param maxBytesPerLine most bytes of op data in one {@code data} line
     * @param maxStreamsPerUser concurrent sync streams of one user on this node; more get 429
     */
    public record Limits(int maxConnections, int maxOpsPerLine, long maxBytesPerLine, int maxStreamsPerUser) {}

    /** Seconds a client refused for a limit is asked to wait before retrying. */
    static final long RETRY_AFTER_SECONDS = 5;

    private final Limits settings;
    private final SyncBackend backend;
    private final Clock clock;
    private final Semaphore slots;
    private final AtomicInteger active = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> streamsByUser = new ConcurrentHashMap<>();
    private final Counter linesSent;
    private final Counter bytesSent;
    private final Counter rejected;

    public SyncSessions(Limits settings, SyncBackend backend, Clock clock, MeterRegistry metrics) {
        this.settings = settings;
        this.backend = backend;
        this.clock = clock;
        this.slots = new Semaphore(settings.maxConnections());
        metrics.gauge("syncline_sync_connections", active);
        this.linesSent = Counter.builder("syncline_sync_lines_sent").register(metrics);
        this.bytesSent = Counter.builder("syncline_sync_bytes_sent").baseUnit("bytes").register(metrics);
        this.rejected = Counter.builder("syncline_sync_connections_rejected").register(metrics);
    }

    /** A session that holds a connection slot until {@link #close()}. */
    public final class Prepared implements AutoCloseable {
        private final AuthenticatedUser user;
        private final StreamingSyncRequest request;
        private final ConnectionScope scope;
        private boolean closed;

        private Prepared(AuthenticatedUser user, StreamingSyncRequest request, ConnectionScope scope) {
            this.user = user;
            this.request = request;
            this.scope = scope;
        }

        public SyncSession.End run(LineWriter out) throws IOException {
            SyncStreamProducer producer = new SyncStreamProducer(backend.data(), request.buckets(),
                    settings.maxOpsPerLine(), settings.maxBytesPerLine());
            return new SyncSession(producer, backend.feed(), scope, user.expiresAt(), clock).run(out);
        }

        public void countLine(long bytes) {
            linesSent.increment();
            bytesSent.increment(bytes);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release(user.userId());
            }
        }
    }

    /** @throws SyncException 503 when not ready, 429 at the user's or the node's limit, or what the scope reports */
    public Prepared prepare(AuthenticatedUser user, StreamingSyncRequest request) {
        if (!backend.ready()) {
            throw new SyncException(ServerError.SYNC_R1004, "the server is still copying its initial data; retry shortly",
                    RETRY_AFTER_SECONDS);
        }
        String userId = user.userId();
        boolean[] admitted = {false};
        streamsByUser.compute(userId, (u, n) -> {
            int open = n == null ? 0 : n;
            if (open >= settings.maxStreamsPerUser()) {
                return n;
            }
            admitted[0] = true;
            return open + 1;
        });
        if (!admitted[0]) {
            rejected.increment();
            throw new SyncException(ServerError.SYNC_R1007, "this user already has " + settings.maxStreamsPerUser()
                    + " sync streams open on this node; close one (another tab or device) or retry later",
                    RETRY_AFTER_SECONDS);
        }
        if (!slots.tryAcquire()) {
            releaseUser(userId);
            rejected.increment();
            throw new SyncException(ServerError.SYNC_R1003, "this node serves its maximum of " + settings.maxConnections()
                    + " sync connections; retry later or add a node", RETRY_AFTER_SECONDS);
        }
        active.incrementAndGet();
        Prepared prepared = null;
        try {
            ConnectionScope scope = backend.scope(user, request);
            scope.current(); // fail with a proper status (e.g. too many buckets) before the stream starts
            prepared = new Prepared(user, request, scope);
            return prepared;
        } finally {
            if (prepared == null) {
                release(userId);
            }
        }
    }

    private void release(String userId) {
        active.decrementAndGet();
        slots.release();
        releaseUser(userId);
    }

    private void releaseUser(String userId) {
        streamsByUser.computeIfPresent(userId, (u, n) -> n <= 1 ? null : n - 1);
    }

}
