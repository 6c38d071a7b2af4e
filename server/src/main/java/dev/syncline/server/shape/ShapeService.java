package dev.syncline.server.shape;

import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.rules.ClientTable;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.server.sync.BucketDataSource;
import dev.syncline.server.sync.CheckpointFeed;
import dev.syncline.server.sync.ConnectionCheckpoint;
import dev.syncline.server.sync.ConnectionScope;
import dev.syncline.server.sync.SyncBackend;
import dev.syncline.server.sync.SyncException;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code GET /v1/shape}: Electric's Shape API (PROTOCOL.md §10) over the sync rules. The user's JWT
 * decides the buckets (the same scope a PowerSync connection gets); the shape is the rows of its
 * table those buckets hold, narrowed by {@code where} and {@code columns}. Initial requests answer
 * a snapshot; resumed requests the changes since their offset from the handle's {@link ShapeLog}, which
 * a node that does not hold it (another node issued the handle) rebuilds from storage at that offset;
 * live requests park on the sync checkpoint feed, woken only by changes to their buckets or grant,
 * up to {@link Settings#liveTimeout()} (long-poll) or {@link Settings#sseDuration()} (SSE). Each
 * request runs on its own virtual thread, so a parked request costs memory, not a platform thread.
 */
public final class ShapeService implements Handler, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ShapeService.class);
    static final String EXPOSED = "electric-handle, electric-offset, electric-schema, electric-up-to-date, "
            + "electric-cursor, electric-internal-known-error, retry-after";
    private static final StreamingSyncRequest NO_CLIENT_STATE =
            new StreamingSyncRequest(List.of(), null, "{}", false, false, false);
    /** Electric's live cursor interval: responses in one interval share a cursor (and a cache entry). */
    private static final long CURSOR_INTERVAL_SECONDS = 20;

    /**
     * @param liveTimeout how long a long-poll waits for a change before answering up-to-date (Electric: 20 s)
     * @param sseDuration how long an SSE response stays open before the client reconnects
     * @param maxRows     row versions all shape logs may hold together before the least recently used go
     * @param maxLogs     shape logs kept
     */
    public record Settings(Duration liveTimeout, Duration sseDuration, long maxRows, int maxLogs) {
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(20), Duration.ofSeconds(60), 5_000_000, 10_000);
    }

    private final Authenticator authenticator;
    private final SyncBackend backend;
    private final List<ClientTable> tables;
    private final ColumnTypes types;
    private final String rulesGeneration;
    private final Settings settings;
    private final ShapeLogs logs;
    /** Requests being served, so {@link #close} can end parked ones instead of waiting out their timeout. */
    private final java.util.Set<Thread> serving = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicInteger parked = new java.util.concurrent.atomic.AtomicInteger();
    /** Shape requests received (each long-poll renewal is one). */
    private final java.util.concurrent.atomic.LongAdder requests = new java.util.concurrent.atomic.LongAdder();
    /** Shape logs rebuilt from storage for a handle and offset this node's logs did not know. */
    private final java.util.concurrent.atomic.LongAdder rebuilds = new java.util.concurrent.atomic.LongAdder();
    /** Times a parked request was woken because a checkpoint touched its buckets or grant. */
    private final java.util.concurrent.atomic.LongAdder wakeups = new java.util.concurrent.atomic.LongAdder();

    /**
     * @param tables          the rules' client tables ({@code SyncRulesPlan.clientTables()})
     * @param rulesGeneration names the sync rules in force (a hash of their text): handles from
     *                        other rules are refetched
     */
    public ShapeService(Authenticator authenticator, SyncBackend backend, List<ClientTable> tables, ColumnTypes types,
                        String rulesGeneration, Settings settings) {
        this.authenticator = authenticator;
        this.backend = backend;
        this.tables = List.copyOf(tables);
        this.types = types;
        this.rulesGeneration = rulesGeneration;
        this.settings = settings;
        this.logs = new ShapeLogs(settings.maxRows(), settings.maxLogs());
    }

    @Override
    public void handle(Context ctx) throws Exception {
        ctx.header("Access-Control-Expose-Headers", EXPOSED);
        ctx.header("Vary", "Authorization, Origin");
        serving.add(Thread.currentThread());
        try {
            if (closed) {
                throw new ShapeException(ShapeErrorCode.SHAPE_R1003, "the server is shutting down; retry");
            }
            serve(ctx);
        } catch (InterruptedException e) {
            if (!ctx.res().isCommitted()) {
                // Written and flushed here, not left to Javalin after the handler returns: close()
                // waits for this handler only, and the HTTP server stops right after it.
                ctx.status(503).contentType("application/json");
                byte[] body = ShapeMessages.error(ShapeErrorCode.SHAPE_R1003.name(), ShapeErrorCode.SHAPE_R1003.status(), "the server is shutting down; retry")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                try {
                    ctx.res().setContentLength(body.length);
                    ctx.res().getOutputStream().write(body);
                    ctx.res().flushBuffer();
                } catch (IOException gone) {
                    log.debug("shape response closed by the client: {}", gone.getMessage());
                }
            }
        } catch (ShapeException e) {
            ctx.status(e.status()).contentType("application/json").result(ShapeMessages.error(e.code(), e.status(),
                    e.getMessage()));
        } catch (SyncException e) {
            ctx.status(e.status()).contentType("application/json").result(ShapeMessages.error(e.code(), e.status(),
                    e.getMessage()));
        } catch (IOException e) {
            log.debug("shape response closed by the client: {}", e.getMessage());
        } finally {
            serving.remove(Thread.currentThread());
        }
    }

    /**
     * Ends parked live requests (they answer 503, or their SSE stream closes) and waits up to 5 s for
     * them to have answered, so the HTTP server stopping next does not cut them off; later requests get 503.
     */
    @Override
    public void close() {
        closed = true;
        serving.forEach(Thread::interrupt);
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (!serving.isEmpty() && System.nanoTime() < end) {
            serving.forEach(Thread::interrupt);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void serve(Context ctx) throws IOException, InterruptedException {
        requests.increment();
        AuthenticatedUser user = authenticator.authenticate(ctx.header("Authorization"));
        ShapeRequest request = ShapeRequest.parse(ctx.queryParamMap());
        ShapeTable table = ShapeTable.resolve(request.table(), tables);
        WhereClause where = WhereClause.compile(request.where(), request.params());
        String hash = request.definitionHash(user.userId(), rulesGeneration);
        if (!backend.ready()) {
            throw new ShapeException(ShapeErrorCode.SHAPE_R1001, "the server is still copying its initial data; retry shortly");
        }
        ConnectionScope scope = backend.scope(user, NO_CLIENT_STATE);
        if (!request.resumed()) {
            ShapeLog.Definition definition = definition(table, where, request);
            ShapeLogs.Entry entry = logs.forNewClient(hash, request.handle(), h -> new ShapeLog(h, definition));
            String handle = entry.log().handle();
            Iterable<ShapeChange> changes;
            ShapeOffset offset;
            String schemaHeader;
            entry.lock().lock();
            try {
                ConnectionCheckpoint checkpoint = scope.current();
                advance(entry.log(), checkpoint);
                changes = request.now() ? List.of() : entry.log().snapshot();
                offset = entry.log().offset();
                schemaHeader = entry.log().definition().schema().header(entry.log().sample(20));
            } finally {
                entry.lock().unlock();
            }
            logs.trim();
            ctx.header("electric-schema", schemaHeader);
            ctx.header("Cache-Control", "private, max-age=60, stale-while-revalidate=300");
            respond(ctx, handle, entry.log().definition().table(), request, changes, offset);
            return;
        }
        if (!ShapeLogs.belongsTo(request.handle(), hash)) {
            mustRefetch(ctx, hash, "handle of another shape");
            return;
        }
        ShapeLogs.Entry entry;
        try {
            entry = resume(request, table, where, scope);
        } catch (ShapeException e) {
            if (!e.code().equals(ShapeErrorCode.SHAPE_R1002.name())) {
                throw e;
            }
            mustRefetch(ctx, hash, e.getMessage());
            return;
        }
        if (request.sse()) {
            sse(ctx, request, entry, scope);
            return;
        }
        // Up to a quarter shorter, at random: shapes that connected together (a deploy, a network
        // blip) would otherwise all time out together every liveTimeout, forever, as one burst.
        long timeout = settings.liveTimeout().toNanos();
        long deadline = System.nanoTime() + timeout - ThreadLocalRandom.current().nextLong(timeout / 4 + 1);
        try (CheckpointFeed.Watch watch = backend.feed().watch()) {
            long seen = backend.feed().generation();
            while (true) {
                List<ShapeChange> changes;
                ShapeOffset offset;
                String schemaHeader = null;
                entry.lock().lock();
                try {
                    ConnectionCheckpoint checkpoint = scope.current();
                    advance(entry.log(), checkpoint);
                    watch.interest(checkpoint.interest());
                    changes = entry.log().changesSince(request.offset());
                    offset = entry.log().offset();
                    if (!request.live()) {
                        schemaHeader = entry.log().definition().schema().header(entry.log().sample(20));
                    }
                } finally {
                    entry.lock().unlock();
                }
                logs.trim();
                if (changes == null) {
                    mustRefetch(ctx, hash, "offset " + request.offset() + " is older than the shape's log");
                    return;
                }
                long left = deadline - System.nanoTime();
                if (!request.live() || !changes.isEmpty() || left <= 0) {
                    if (schemaHeader != null) {
                        ctx.header("electric-schema", schemaHeader);
                        // Not Electric's week: a resumed response runs up to the current checkpoint, so it is not immutable.
                        ctx.header("Cache-Control", "private, max-age=60, stale-while-revalidate=300");
                    } else {
                        ctx.header("Cache-Control", "private, max-age=5, stale-while-revalidate=5");
                    }
                    respond(ctx, request.handle(), entry.log().definition().table(), request, changes, offset);
                    return;
                }
                CheckpointFeed.Wake wake;
                parked.incrementAndGet();
                try {
                    wake = watch.await(seen, Duration.ofNanos(left));
                } finally {
                    parked.decrementAndGet();
                }
                if (wake.relevant()) {
                    wakeups.increment();
                }
                seen = wake.generation();
            }
        }
    }

    private ShapeLog.Definition definition(ShapeTable table, WhereClause where, ShapeRequest request) {
        ShapeSchema schema = new ShapeSchema(table, types.columns(table.source()), request.columns());
        schema.requireKnown(request.columns(), "columns");
        schema.requireKnown(where.columns(), "where");
        return new ShapeLog.Definition(table, schema, where, request.replicaFull());
    }

    /**
     * The log that serves a resumed request: the handle's log here when it knows the request's
     * offset, else one rebuilt from storage at that offset (the handle came from another node, or
     * this node evicted or never had its log), which then replaces it here.
     *
     * @throws ShapeException {@link ShapeErrorCode#SHAPE_R1002} when storage can no longer tell the
     *                        shape's rows at the offset: the client must refetch
     */
    private ShapeLogs.Entry resume(ShapeRequest request, ShapeTable table, WhereClause where, ConnectionScope scope) {
        ShapeLogs.Entry held = logs.get(request.handle());
        if (held != null) {
            held.lock().lock();
            try {
                ConnectionCheckpoint checkpoint = scope.current();
                ShapeOffset at = request.offset();
                ShapeOffset now = held.log().offset();
                if (now != null && at.opId() > now.opId() && at.opId() <= checkpoint.opId()) {
                    // another node's offset ahead of this log: read on to it rather than rebuild
                    try (BucketDataSource.Reader reader = backend.data().reader()) {
                        held.log().catchUp(at, checkpoint.buckets().keySet(), reader);
                    }
                }
                advance(held.log(), checkpoint);
                if (held.log().changesSince(at) != null) {
                    return held;
                }
            } finally {
                held.lock().unlock();
            }
        }
        ShapeLog.Definition definition = definition(table, where, request);
        ConnectionCheckpoint checkpoint = scope.current();
        java.util.Map<String, Long> checksums = new java.util.HashMap<>();
        for (String bucket : checkpoint.buckets().keySet()) {
            checksums.put(bucket, checkpoint.states().getOrDefault(bucket, BucketDataSource.BucketState.EMPTY).checksum());
        }
        ShapeLog log;
        try (BucketDataSource.Reader reader = backend.data().reader()) {
            log = ShapeLog.rebuild(request.handle(), definition, request.offset(), checkpoint.opId(), checksums, reader);
            log.advance(checkpoint.opId(), checkpoint.buckets().keySet(), reader);
        }
        rebuilds.increment();
        ShapeLogs.Entry entry = new ShapeLogs.Entry(log, new java.util.concurrent.locks.ReentrantLock());
        logs.put(entry);
        logs.trim();
        return entry;
    }

    private void advance(ShapeLog log, ConnectionCheckpoint checkpoint) {
        try (BucketDataSource.Reader reader = backend.data().reader()) {
            log.advance(checkpoint.opId(), checkpoint.buckets().keySet(), reader);
        }
    }

    private void respond(Context ctx, String handle, ShapeTable table, ShapeRequest request, Iterable<ShapeChange> changes,
                         ShapeOffset offset)
            throws IOException {
        String etag = "\"" + handle + ":" + (request.resumed() ? request.offset() : request.now() ? "now" : "-1") + ":" + offset + "\"";
        ctx.header("electric-handle", handle);
        ctx.header("electric-offset", ShapeMessages.offset(offset));
        ctx.header("electric-up-to-date", "");
        ctx.header("ETag", etag);
        if (request.live()) {
            ctx.header("electric-cursor", cursor(request.cursor()));
        }
        if (etag.equals(ctx.header("If-None-Match"))) {
            ctx.status(304);
            return;
        }
        ctx.status(200).contentType("application/json");
        OutputStream out = ctx.res().getOutputStream();
        ShapeMessages.writeBatch(out, table, changes, offset);
        out.flush();
    }

    private void mustRefetch(Context ctx, String hash, String why) {
        String handle = logs.replacement(hash);
        log.debug("shape must refetch ({}); new handle {}", why, handle);
        ctx.header("electric-handle", handle);
        ctx.header("Cache-Control", "private, max-age=60, must-revalidate");
        ctx.status(409).contentType("application/json").result(ShapeMessages.MUST_REFETCH);
    }

    /**
     * SSE: the changes since the offset, then each later batch as it happens, each batch ended by
     * up-to-date (whose {@code global_last_seen_lsn} the client takes as its next offset).
     */
    private void sse(Context ctx, ShapeRequest request, ShapeLogs.Entry entry, ConnectionScope scope)
            throws IOException, InterruptedException {
        ShapeTable table = entry.log().definition().table();
        ShapeOffset since = request.offset();
        long end = System.nanoTime() + settings.sseDuration().toNanos();
        OutputStream out = null;
        try (CheckpointFeed.Watch watch = backend.feed().watch()) {
            long seen = backend.feed().generation();
            while (true) {
                List<ShapeChange> changes;
                ShapeOffset offset;
                entry.lock().lock();
                try {
                    ConnectionCheckpoint checkpoint = scope.current();
                    advance(entry.log(), checkpoint);
                    watch.interest(checkpoint.interest());
                    changes = entry.log().changesSince(since);
                    offset = entry.log().offset();
                } finally {
                    entry.lock().unlock();
                }
                if (changes == null) {
                    if (out == null) {
                        mustRefetch(ctx, entry.log().handle().substring(0, entry.log().handle().indexOf('-')), "offset too old");
                    }
                    return; // mid-stream: closing makes the client resume with its offset and get the 409 then
                }
                if (out == null) {
                    ctx.header("electric-handle", entry.log().handle());
                    ctx.header("electric-offset", ShapeMessages.offset(since));
                    ctx.header("electric-cursor", cursor(request.cursor()));
                    ctx.header("Cache-Control", "private, max-age=5, stale-while-revalidate=5");
                    ctx.header("X-Accel-Buffering", "no");
                    ctx.status(200).contentType("text/event-stream");
                    out = ctx.res().getOutputStream();
                    out.write(": connected\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                if (!changes.isEmpty()) {
                    StringBuilder events = new StringBuilder();
                    for (ShapeChange c : changes) {
                        events.append("data: ").append(ShapeMessages.change(table, c)).append("\n\n");
                    }
                    events.append("data: ").append(ShapeMessages.upToDate(offset)).append("\n\n");
                    out.write(events.toString().getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                since = offset;
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                CheckpointFeed.Wake wake;
                parked.incrementAndGet();
                try {
                    wake = watch.await(seen, Duration.ofNanos(Math.min(left, Duration.ofSeconds(15).toNanos())));
                } finally {
                    parked.decrementAndGet();
                }
                if (wake.relevant()) {
                    wakeups.increment();
                }
                if (wake.generation() == seen || !wake.relevant()) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                seen = wake.generation();
            }
        }
    }

    /** Electric's cursor: the current 20 s interval, moved past the client's so a cached live response is never reused. */
    private static String cursor(String previous) {
        long now = System.currentTimeMillis() / 1000;
        long next = (now / CURSOR_INTERVAL_SECONDS + 1) * CURSOR_INTERVAL_SECONDS;
        try {
            long prev = previous == null ? -1 : Long.parseLong(previous);
            if (prev >= next) {
                next = prev + 1 + ThreadLocalRandom.current().nextLong(CURSOR_INTERVAL_SECONDS);
            }
        } catch (NumberFormatException e) {
            // a cursor we did not issue: start from the interval
        }
        return Long.toString(next);
    }

    /** A short name for the sync rules' text, for {@code rulesGeneration}. */
    public static String generationOf(String rulesText) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(rulesText.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Registers {@code syncline_shape_requests_total} (requests received, long-poll renewals included),
     * {@code syncline_shape_requests_parked} (live requests waiting for a change),
     * {@code syncline_shape_wakeups_total} (times one was woken by a checkpoint that touched its
     * buckets or grant; checkpoints that touch neither wake nothing) and {@code syncline_shape_logs}
     * (shape logs held) with {@code registry}.
     */
    public ShapeService metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        io.micrometer.core.instrument.FunctionCounter.builder("syncline_shape_requests", requests,
                        java.util.concurrent.atomic.LongAdder::doubleValue)
                .description("Electric shape requests received, long-poll renewals included").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("syncline_shape_wakeups", wakeups,
                        java.util.concurrent.atomic.LongAdder::doubleValue)
                .description("Parked Electric shape requests woken by a checkpoint that touched their buckets or grant")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("syncline_shape_rebuilds", rebuilds,
                        java.util.concurrent.atomic.LongAdder::doubleValue)
                .description("Electric shape logs rebuilt from storage for a handle and offset this node did not hold")
                .register(registry);
        io.micrometer.core.instrument.Gauge.builder("syncline_shape_requests_parked", parked, java.util.concurrent.atomic.AtomicInteger::get)
                .description("Electric shape requests parked until their shape changes").register(registry);
        io.micrometer.core.instrument.Gauge.builder("syncline_shape_logs", logs, ShapeLogs::count)
                .description("Electric shape logs held in memory").register(registry);
        return this;
    }

    /** Shape logs held now (for tests and metrics). */
    public int logCount() {
        return logs.count();
    }
}
