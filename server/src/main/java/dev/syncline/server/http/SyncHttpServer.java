package dev.syncline.server.http;

import dev.syncline.server.errors.ServerError;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.server.sync.InternalFailure;
import dev.syncline.server.sync.PerUserRateLimit;
import dev.syncline.server.sync.SyncBackend;
import dev.syncline.server.sync.SyncException;
import dev.syncline.server.sync.SyncSession;
import dev.syncline.server.sync.SyncSessions;
import dev.syncline.server.sync.WriteCheckpoints;
import io.javalin.Javalin;
import org.eclipse.jetty.ee10.servlet.SessionHandler;
import org.eclipse.jetty.session.NullSessionCache;
import org.eclipse.jetty.session.NullSessionDataStore;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.javalin.websocket.WsConfig;
import dev.syncline.server.ws.CreditLineWriter;
import dev.syncline.server.ws.Outbox;
import dev.syncline.server.ws.RSocketSyncConnection;
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
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API: {@code POST /sync/stream} (PowerSync-compatible streaming, NDJSON or BSON, gzip
 * with a flush per checkpoint), probes, Prometheus metrics and CORS for browser clients. Each
 * stream runs on its own virtual thread and writes with blocking I/O, so a client that does not
 * read simply blocks its own thread: backpressure with bounded memory.
 */
public final class SyncHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncHttpServer.class);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final HttpSettings settings;
    private final Authenticator authenticator;
    private final SyncBackend backend;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final SyncSessions sessions;
    private final WriteCheckpoints writeCheckpoints;
    private final Set<Thread> sessionThreads = ConcurrentHashMap.newKeySet();
    private final java.util.Map<String, RSocketSyncConnection> webSockets = new ConcurrentHashMap<>();
    private final Outbox.Gauges webSocketGauges = new Outbox.Gauges();
    private final ScheduledThreadPoolExecutor setupTimer = new ScheduledThreadPoolExecutor(1,
            Thread.ofPlatform().daemon().name("syncline-ws-setup-timer").factory());
    private final Clock clock;
    private final PerUserRateLimit writeCheckpointRate;
    private volatile boolean started;
    private Javalin app;
    private io.javalin.http.Handler uploads;
    private io.javalin.http.Handler shapes;
    private io.javalin.http.Handler admin;

    public SyncHttpServer(HttpSettings settings, Authenticator authenticator, SyncBackend backend, Clock clock) {
        this(settings, authenticator, backend, null, clock);
    }

    /** @param writeCheckpoints serves PROTOCOL.md §4; null leaves those endpoints out */
    public SyncHttpServer(HttpSettings settings, Authenticator authenticator, SyncBackend backend,
                          WriteCheckpoints writeCheckpoints, Clock clock) {
        this.writeCheckpoints = writeCheckpoints;
        this.settings = settings;
        this.authenticator = authenticator;
        this.backend = backend;
        this.clock = clock;
        setupTimer.setRemoveOnCancelPolicy(true);
        metrics.gauge("syncline_ws_queued_bytes", webSocketGauges.queuedBytes());
        metrics.gauge("syncline_ws_streams_waiting_to_send", webSocketGauges.waitingStreams());
        this.sessions = new SyncSessions(new SyncSessions.Limits(settings.maxConnections(), settings.maxOpsPerLine(),
                settings.maxBytesPerLine(), settings.clientLimits().maxStreamsPerUser()), backend, clock, metrics);
        this.writeCheckpointRate = new PerUserRateLimit(settings.clientLimits().writeCheckpointsPerUserPerMinute(), clock);
    }

    private volatile java.util.function.Supplier<java.util.Map<String, Object>> readinessProblem = java.util.Map::of;

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    /**
     * Serves {@code POST /api/upload} (PROTOCOL.md §8) with {@code handler}; call before {@link #start()}.
     * A handler that is also a {@link DirectPost} is served by Jetty directly (DirectRoute).
     */
    public SyncHttpServer uploads(io.javalin.http.Handler handler) {
        this.uploads = handler;
        return this;
    }

    /** Serves Electric's {@code GET /v1/shape} (PROTOCOL.md §10) with {@code handler}; call before {@link #start()}. */
    public SyncHttpServer shapes(io.javalin.http.Handler handler) {
        this.shapes = handler;
        return this;
    }

    /** Serves {@code GET /api/admin/v1/diagnostics} with {@code handler} (admin.AdminApi); call before {@link #start()}. */
    public SyncHttpServer admin(io.javalin.http.Handler handler) {
        this.admin = handler;
        return this;
    }

    /**
     * Javalin reads the HTTP session's attributes on every WebSocket upgrade, which creates a
     * session: with Jetty's defaults it would set a {@code JSESSIONID} cookie and stay in memory
     * (no idle timeout) after the connection is gone, one per WebSocket ever opened. The API is
     * stateless (every request carries its token), so sessions get no cookie and are not kept.
     */
    private static SessionHandler statelessSessions() {
        SessionHandler sessions = new SessionHandler();
        sessions.setUsingCookies(false);
        NullSessionCache cache = new NullSessionCache(sessions);
        cache.setSessionDataStore(new NullSessionDataStore());
        sessions.setSessionCache(cache);
        return sessions;
    }

    public SyncHttpServer start() {
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.jetty.modifyServletContextHandler(handler -> handler.setSessionHandler(statelessSessions()));
            if (uploads instanceof DirectPost direct) { // ahead of the servlet path: see DirectRoute
                config.jetty.modifyServer(server -> server.insertHandler(
                        new DirectRoute("/api/upload", direct, settings.corsOrigins())));
            }
            config.routes.before(this::cors);
            config.routes.options("/*", ctx -> ctx.status(204));
            config.routes.get("/probes/startup", ctx -> probe(ctx, started));
            config.routes.get("/probes/liveness", ctx -> probe(ctx, true));
            config.routes.get("/probes/readiness", this::readiness);
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
            config.routes.post("/sync/stream", this::syncStream);
            config.routes.ws("/sync/stream", this::webSocket);
            if (writeCheckpoints != null) {
                config.routes.get("/write-checkpoint2.json", this::writeCheckpoint);
                config.routes.post("/sync/checkpoint-request", this::checkpointRequest);
            }
            if (uploads != null) {
                config.routes.post("/api/upload", uploads);
            }
            if (shapes != null) {
                config.routes.get("/v1/shape", shapes);
            }
            if (admin != null) {
                config.routes.get(dev.syncline.server.admin.AdminApi.DIAGNOSTICS_PATH, admin);
                config.routes.post(dev.syncline.server.admin.AdminApi.REPROCESS_PATH, admin);
                config.routes.post(dev.syncline.server.admin.AdminApi.VALIDATE_PATH, admin);
            }
            settings.extraGets().forEach(config.routes::get);
            if (settings.webRoot() != null) {
                config.staticFiles.add(files -> {
                    files.hostedPath = "/";
                    files.directory = settings.webRoot().toString();
                    files.location = Location.EXTERNAL;
                    // The SQLite WASM build is compiled streaming, which needs this exact type.
                    files.mimeTypes.add("application/wasm", "wasm");
                    files.headers = java.util.Map.of("Cache-Control", "no-cache");
                });
            }
            config.routes.exception(SyncException.class, (e, ctx) -> {
                if (e.retryAfterSeconds() > 0) {
                    ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
                }
                error(ctx, e.code(), e.status(), e.getMessage());
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                if (e instanceof io.javalin.http.HttpResponseException h) { // Javalin's own 4xx (404, 413, …)
                    error(ctx, ServerError.SYNC_R1000.code(), h.getStatus(), h.getMessage());
                    return;
                }
                SyncException told = InternalFailure.toClient(log, ctx.method() + " " + ctx.path(), e);
                if (told.retryAfterSeconds() > 0) {
                    ctx.header("Retry-After", Long.toString(told.retryAfterSeconds()));
                }
                error(ctx, told.code(), told.status(), told.getMessage());
            });
            config.routes.exception(StreamingSyncRequest.InvalidRequestException.class,
                    (e, ctx) -> error(ctx, ServerError.SYNC_R1001.code(), ServerError.SYNC_R1001.status(), e.getMessage()));
        }).start(settings.host(), settings.port());
        started = true;
        log.info("HTTP API listening on {}:{}", settings.host(), app.port());
        return this;
    }

    public int port() {
        return app.port();
    }

    /** While {@code problem} returns a non-empty map (code, message), readiness is false and the body carries it. */
    public SyncHttpServer readinessProblem(java.util.function.Supplier<java.util.Map<String, Object>> problem) {
        this.readinessProblem = problem;
        return this;
    }

    private void readiness(Context ctx) {
        java.util.Map<String, Object> problem = readinessProblem.get();
        if (problem.isEmpty()) {
            probe(ctx, started && backend.ready());
            return;
        }
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>(java.util.Map.of("ok", false));
        body.putAll(problem);
        ctx.status(503).json(body);
    }

    private void probe(Context ctx, boolean ok) {
        ctx.status(ok ? 200 : 503).json(java.util.Map.of("ok", ok));
    }

    private void cors(Context ctx) {
        Cors.headers(settings.corsOrigins(), ctx.header("Origin"), ctx::header);
    }

    private static void error(Context ctx, String code, int status, String description) {
        ctx.status(status).contentType("application/json").result(ErrorBody.of(code, status, description));
    }

    private void syncStream(Context ctx) throws IOException {
        AuthenticatedUser user = authenticator.authenticate(ctx.header("Authorization"));
        long length = ctx.req().getContentLengthLong();
        if (length > settings.maxBodyBytes()) {
            throw new SyncException(ServerError.SYNC_R1002, "request body of " + length + " bytes exceeds the limit of "
                    + settings.maxBodyBytes());
        }
        StreamingSyncRequest request = StreamingSyncRequest.parse(ctx.bodyAsBytes());
        MDC.put("connection", UUID.randomUUID().toString());
        MDC.put("user", user.userId());
        sessionThreads.add(Thread.currentThread());
        try (SyncSessions.Prepared session = sessions.prepare(user, request)) {
            StreamFormat format = StreamFormat.negotiate(ctx.header("Accept"));
            ContentCoding coding = ContentCoding.negotiate(ctx.header("Accept-Encoding"));
            ctx.status(200).contentType(format.contentType());
            ctx.header("X-Accel-Buffering", "no");
            ctx.header("Cache-Control", "no-store");
            if (coding.header() != null) {
                ctx.header("Content-Encoding", coding.header());
            }
            log.info("sync stream opened over HTTP ({} buckets named by the client, {}, {})", request.buckets().size(), format,
                    coding);
            StreamLineWriter writer = new StreamLineWriter(ctx.res().getOutputStream(), format, coding, session::countLine);
            SyncSession.End end = session.run(writer);
            writer.finish();
            log.info("sync stream ended: {}", end);
        } catch (IOException e) {
            log.info("sync stream closed by the client: {}", e.getMessage());
        } finally {
            sessionThreads.remove(Thread.currentThread());
            MDC.remove("connection");
            MDC.remove("user");
        }
    }

    /** {@code GET /write-checkpoint2.json?client_id=…} → {@code {"data":{"write_checkpoint":"n"}}}. */
    private void writeCheckpoint(Context ctx) {
        AuthenticatedUser user = authenticator.authenticate(ctx.header("Authorization"));
        String clientId = ctx.queryParam("client_id");
        if (clientId == null || clientId.isBlank() || clientId.length() > 256) {
            throw new SyncException(ServerError.SYNC_R1005, "`client_id` query parameter is required (the client's database id)");
        }
        limitWriteCheckpoints(user);
        long value = writeCheckpoints.create(user.userId(), clientId);
        ctx.contentType("application/json").result("{\"data\":{\"write_checkpoint\":\"" + value + "\"}}");
    }

    /** Each write checkpoint costs a lock, a PostgreSQL round trip and an fsync: a budget per user. */
    private void limitWriteCheckpoints(AuthenticatedUser user) {
        java.time.Duration wait = writeCheckpointRate.acquire(user.userId());
        if (!wait.isZero()) {
            throw new SyncException(ServerError.SYNC_R1008, "too many write checkpoints for this user (at most "
                    + settings.clientLimits().writeCheckpointsPerUserPerMinute() + " a minute); retry after the "
                    + "Retry-After seconds", Math.max(1, (wait.toMillis() + 999) / 1000));
        }
    }

    /** {@code POST /sync/checkpoint-request {client_id, checkpoint_request_id}}: the client-chosen variant. */
    private void checkpointRequest(Context ctx) throws IOException {
        AuthenticatedUser user = authenticator.authenticate(ctx.header("Authorization"));
        com.fasterxml.jackson.databind.JsonNode body;
        try {
            body = JSON.readTree(ctx.bodyAsBytes());
        } catch (IOException e) {
            throw new SyncException(ServerError.SYNC_R1001, "request body is not valid JSON");
        }
        String clientId = body == null ? null : body.path("client_id").asText(null);
        com.fasterxml.jackson.databind.JsonNode id = body == null ? null : body.path("checkpoint_request_id");
        long requestId;
        try {
            requestId = id == null ? -1 : id.isIntegralNumber() ? id.asLong() : Long.parseLong(id.asText());
        } catch (NumberFormatException e) {
            requestId = -1;
        }
        if (clientId == null || clientId.isBlank() || requestId < 0) {
            throw new SyncException(ServerError.SYNC_R1005,
                    "body must be {\"client_id\": \"…\", \"checkpoint_request_id\": <non-negative integer>}");
        }
        limitWriteCheckpoints(user);
        long value = writeCheckpoints.request(user.userId(), clientId, requestId);
        ctx.contentType("application/json").result("{\"data\":{\"checkpoint_request_id\":\"" + value + "\"}}");
    }

    /**
     * RSocket over WebSocket on the same path (PROTOCOL.md §5). Sends complete asynchronously into
     * a bounded {@link Outbox} per connection; a connection without SETUP is closed after the
     * setup timeout.
     */
    private void webSocket(WsConfig ws) {
        ws.onConnect(ctx -> {
            ctx.session.setIdleTimeout(java.time.Duration.ofMinutes(2));
            Outbox outbox = new Outbox(new Outbox.Transport() {
                @Override
                public void send(java.nio.ByteBuffer frame, Runnable done) {
                    synchronized (ctx) {
                        ctx.session.sendBinary(frame, org.eclipse.jetty.websocket.api.Callback.from(done, failed -> done.run()));
                    }
                }

                @Override
                public void close() {
                    if (ctx.session.isOpen()) {
                        ctx.closeSession();
                    }
                }
            }, settings.clientLimits().maxQueuedBytesPerWebSocket(), webSocketGauges, clock);
            RSocketSyncConnection connection = new RSocketSyncConnection(authenticator, this::runWebSocketStream, outbox,
                    settings.clientLimits().maxFramesBeforeSetup(), clock);
            webSockets.put(ctx.sessionId(), connection);
            setupTimer.schedule(connection::setupDeadlinePassed,
                    settings.clientLimits().webSocketSetupTimeout().toMillis(), TimeUnit.MILLISECONDS);
        });
        ws.onBinaryMessage(ctx -> {
            RSocketSyncConnection connection = webSockets.get(ctx.sessionId());
            if (connection != null) {
                connection.onFrame(ctx.data());
            }
        });
        ws.onClose(ctx -> closeWebSocket(ctx.sessionId()));
        ws.onError(ctx -> closeWebSocket(ctx.sessionId()));
    }

    private void closeWebSocket(String sessionId) {
        RSocketSyncConnection connection = webSockets.remove(sessionId);
        if (connection != null) {
            connection.close();
        }
    }

    private void runWebSocketStream(AuthenticatedUser user, StreamingSyncRequest request, CreditLineWriter writer)
            throws IOException {
        MDC.put("connection", UUID.randomUUID().toString());
        MDC.put("user", user.userId());
        sessionThreads.add(Thread.currentThread());
        try (SyncSessions.Prepared session = sessions.prepare(user, request)) {
            log.info("sync stream opened over WebSocket ({} buckets named by the client)", request.buckets().size());
            SyncSession.End end = session.run(new dev.syncline.server.sync.LineWriter() {
                @Override
                public void write(dev.syncline.protocol.sync.SyncLine line) throws IOException {
                    writer.write(line);
                    session.countLine(0);
                }

                @Override
                public void flush() {
                    writer.flush();
                }
            });
            log.info("sync stream ended: {}", end);
        } finally {
            sessionThreads.remove(Thread.currentThread());
            MDC.remove("connection");
            MDC.remove("user");
        }
    }

    /** Ends every stream, then stops the server. */
    @Override
    public void close() {
        started = false;
        sessionThreads.forEach(Thread::interrupt);
        setupTimer.shutdownNow();
        if (app != null) {
            app.stop();
        }
    }
}
