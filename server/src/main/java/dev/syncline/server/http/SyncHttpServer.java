package dev.syncline.server.http;

import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.sync.ConnectionScope;
import dev.syncline.server.sync.SyncException;
import dev.syncline.server.sync.SyncSession;
import dev.syncline.server.sync.SyncStreamProducer;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.time.Clock;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP API: {@code POST /sync/stream} (PowerSync-compatible streaming, NDJSON or BSON, gzip
 * with a flush per checkpoint), probes, Prometheus metrics and CORS for browser clients. Each
 * stream runs on its own virtual thread and writes with blocking I/O, so a client that does not
 * read simply blocks its own thread: backpressure with bounded memory.
 */
public final class SyncHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncHttpServer.class);

    private final HttpSettings settings;
    private final Authenticator authenticator;
    private final SyncBackend backend;
    private final Clock clock;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Semaphore connectionSlots;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final Set<Thread> sessionThreads = ConcurrentHashMap.newKeySet();
    private final Counter linesSent;
    private final Counter bytesSent;
    private final Counter rejected;
    private volatile boolean started;
    private Javalin app;

    public SyncHttpServer(HttpSettings settings, Authenticator authenticator, SyncBackend backend, Clock clock) {
        this.settings = settings;
        this.authenticator = authenticator;
        this.backend = backend;
        this.clock = clock;
        this.connectionSlots = new Semaphore(settings.maxConnections());
        metrics.gauge("syncline_sync_connections", activeConnections);
        this.linesSent = Counter.builder("syncline_sync_lines_sent").register(metrics);
        this.bytesSent = Counter.builder("syncline_sync_bytes_sent").baseUnit("bytes").register(metrics);
        this.rejected = Counter.builder("syncline_sync_connections_rejected").register(metrics);
    }

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    public SyncHttpServer start() {
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.routes.before(this::cors);
            config.routes.options("/*", ctx -> ctx.status(204));
            config.routes.get("/probes/startup", ctx -> probe(ctx, started));
            config.routes.get("/probes/liveness", ctx -> probe(ctx, true));
            config.routes.get("/probes/readiness", ctx -> probe(ctx, started && backend.ready()));
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
            config.routes.post("/sync/stream", this::syncStream);
            config.routes.exception(SyncException.class, (e, ctx) -> error(ctx, e.code(), e.status(), e.getMessage()));
            config.routes.exception(StreamingSyncRequest.InvalidRequestException.class,
                    (e, ctx) -> error(ctx, "SYNC_R1001", 400, e.getMessage()));
        }).start(settings.host(), settings.port());
        started = true;
        log.info("HTTP API listening on {}:{}", settings.host(), app.port());
        return this;
    }

    public int port() {
        return app.port();
    }

    private void probe(Context ctx, boolean ok) {
        ctx.status(ok ? 200 : 503).json(java.util.Map.of("ok", ok));
    }

    private void cors(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null) {
            return;
        }
        boolean any = settings.corsOrigins().contains("*");
        if (any || settings.corsOrigins().contains(origin)) {
            ctx.header("Access-Control-Allow-Origin", any ? "*" : origin);
            ctx.header("Vary", "Origin");
            ctx.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            ctx.header("Access-Control-Allow-Headers", "authorization, content-type, x-user-agent, accept");
            ctx.header("Access-Control-Max-Age", "600");
        }
    }

    private static void error(Context ctx, String code, int status, String description) {
        ctx.status(status).contentType("application/json").result(ErrorBody.of(code, status, description));
    }

    private void syncStream(Context ctx) throws IOException {
        if (!backend.ready()) {
            throw new SyncException("SYNC_R1004", 503, "the server is still copying its initial data; retry shortly");
        }
        AuthenticatedUser user = authenticator.authenticate(ctx.header("Authorization"));
        long length = ctx.req().getContentLengthLong();
        if (length > settings.maxBodyBytes()) {
            throw new SyncException("SYNC_R1002", 413, "request body of " + length + " bytes exceeds the limit of "
                    + settings.maxBodyBytes());
        }
        StreamingSyncRequest request = StreamingSyncRequest.parse(ctx.bodyAsBytes());
        if (!connectionSlots.tryAcquire()) {
            rejected.increment();
            throw new SyncException("SYNC_R1003", 429, "this node serves its maximum of " + settings.maxConnections()
                    + " sync connections; retry later or add a node");
        }
        String connectionId = UUID.randomUUID().toString();
        MDC.put("connection", connectionId);
        MDC.put("user", user.userId());
        activeConnections.incrementAndGet();
        sessionThreads.add(Thread.currentThread());
        try {
            ConnectionScope scope = backend.scope(user, request);
            scope.current(); // fail with a proper status (e.g. too many buckets) before the stream starts
            StreamFormat format = StreamFormat.negotiate(ctx.header("Accept"));
            String encoding = ctx.header("Accept-Encoding");
            boolean gzip = encoding != null && encoding.toLowerCase(java.util.Locale.ROOT).contains("gzip");
            ctx.status(200).contentType(format.contentType());
            ctx.header("X-Accel-Buffering", "no");
            ctx.header("Cache-Control", "no-store");
            if (gzip) {
                ctx.header("Content-Encoding", "gzip");
            }
            log.info("sync stream opened ({} buckets named by the client, {})", request.buckets().size(), format);
            StreamLineWriter writer = new StreamLineWriter(ctx.res().getOutputStream(), format, gzip, bytes -> {
                linesSent.increment();
                bytesSent.increment(bytes);
            });
            SyncStreamProducer producer = new SyncStreamProducer(backend.data(), request.buckets(),
                    settings.maxOpsPerLine(), settings.maxBytesPerLine());
            SyncSession.End end = new SyncSession(producer, backend.feed(), scope, user.expiresAt(), clock).run(writer);
            writer.finish();
            log.info("sync stream ended: {}", end);
        } catch (IOException e) {
            log.info("sync stream closed by the client: {}", e.getMessage());
        } finally {
            sessionThreads.remove(Thread.currentThread());
            activeConnections.decrementAndGet();
            connectionSlots.release();
            MDC.remove("connection");
            MDC.remove("user");
        }
    }

    /** Ends every stream, then stops the server. */
    @Override
    public void close() {
        started = false;
        sessionThreads.forEach(Thread::interrupt);
        if (app != null) {
            app.stop();
        }
    }
}
