package dev.syncline.server.app;

import dev.syncline.rules.RuleError;
import dev.syncline.rules.SyncRules;
import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.server.admin.AdminWiring;
import dev.syncline.server.auth.ClientAuth;
import dev.syncline.server.auth.SupabaseProject;
import dev.syncline.server.auth.TokenVerifier;
import dev.syncline.server.config.CaptureConfig;
import dev.syncline.server.config.PostgresConnectionConfig;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.http.ClientLimits;
import dev.syncline.server.http.HttpSettings;
import dev.syncline.server.auth.JwtAuthenticator;
import dev.syncline.server.http.SyncHttpServer;
import dev.syncline.server.pipeline.BatchPolicy;
import dev.syncline.server.pipeline.HandOffPipeline;
import dev.syncline.server.pipeline.ReplicationPipeline;
import dev.syncline.server.source.postgres.PgConnections;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import dev.syncline.server.source.postgres.SourceDoctor;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BackgroundCompaction;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.StorageFactory;
import dev.syncline.server.storage.StorageLock;
import dev.syncline.server.sync.StorageSyncBackend;
import dev.syncline.server.sync.WriteCheckpoints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * The composition root: sync rules, SQLite bucket storage, the replication pipeline from
 * PostgreSQL, JWT auth and the HTTP/WebSocket API, started in that order and stopped in reverse.
 * The HTTP API comes up first (probes answer during a long initial copy; readiness turns true at
 * the first consistent checkpoint); capture starts on its own thread.
 */
public final class SynclineApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SynclineApp.class);
    /** Superseded ops are compacted hourly; `syncline compact` does it on demand. */
    static final java.time.Duration COMPACTION_INTERVAL = java.time.Duration.ofHours(1);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final CompletableFuture<Void> termination = new CompletableFuture<>();
    private SyncHttpServer http;
    private dev.syncline.server.generation.ServingGeneration backend;
    private Generations generations;

    private SynclineApp() {}

    /** Starts everything; throws if the configuration cannot be served (the copy runs in the background). */
    public static SynclineApp start(SynclineConfig config, Clock clock) {
        return start(config, clock, UnaryOperator.identity());
    }

    /** As {@link #start(SynclineConfig, Clock)}, with HTTP settings adjusted by the caller (the demo adds its web app). */
    public static SynclineApp start(SynclineConfig config, Clock clock, UnaryOperator<HttpSettings> http) {
        SynclineApp app = new SynclineApp();
        try {
            app.startAll(config, clock, http);
            return app;
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
    }

    private void startAll(SynclineConfig config, Clock clock, UnaryOperator<HttpSettings> httpSettings) {
        SyncRulesPlan plan = SyncRules.compile(config.syncRules().content());
        for (RuleError warning : plan.warnings()) {
            log.warn("sync rules: {}", warning);
        }
        PgSourceSettings source = sourceSettings(config, plan);
        log.info("configured: capture {} through slot {} and publication {}{} (storage generations may use their "
                + "own: see the next lines)", source.tables(), source.slotName(), source.publicationName(),
                source.managePublication() ? "" : " (made by an admin)");
        log.info("storage: {}", StorageFactory.describe(config.storage()));

        if (config.storage().path() != null) {
            resources.add(StorageLock.acquire(config.storage().path()));   // before storage: one server per file
        }
        PostgresConnectionConfig sourceDb = config.replication().connection();
        ClientAuth auth = ClientAuth.start(config.clientAuth(),
                SupabaseProject.jwksUri(sourceDb.hostname(), sourceDb.username()), TokenVerifier.DEFAULT_MAX_LIFETIME, clock);
        resources.add(auth);
        PgSourcePosition position = new PgSourcePosition(new PgConnections(source));
        resources.add(position);
        // Storage generations: each one its storage, pipeline and capture (Generations, docs/operations.md).
        generations = Generations.open(config, position);
        resources.add(generations);
        backend = generations.serving();
        WriteCheckpoints writeCheckpoints = generations.writeCheckpoints();
        JwtAuthenticator authenticator = new JwtAuthenticator(auth.verifier());
        HttpSettings settings = HttpSettings.defaults(config.port())
                .withMaxConnections(config.api().maxConcurrentConnections())
                .withClientLimits(ClientLimits.of(config.api()));
        http = new SyncHttpServer(httpSettings.apply(settings), authenticator, backend, writeCheckpoints, clock);
        if (config.upload().enabled()) {
            http.uploads(Uploads.start(config, plan, authenticator, http.metrics(), clock, resources));
        }
        Generations gens = generations;
        SyncHttpServer server = http;
        var shapes = new ServingShapes(gens::active, g -> {
            var service = new dev.syncline.server.shape.ShapeService(authenticator, gens.serving(),
                    g.plan.clientTables(), new dev.syncline.server.shape.PgCatalogColumnTypes(new PgConnections(source)::open),
                    dev.syncline.server.shape.ShapeService.generationOf(g.generation.rulesText()) + "." + g.generation.id(),
                    dev.syncline.server.shape.ShapeService.Settings.DEFAULT);
            return g == gens.active() && server.metrics().find("syncline_shape_logs").gauge() == null
                    ? service.metrics(server.metrics()) : service;   // gauges: the first service's
        });
        http.shapes(shapes);
        http.admin(AdminWiring.adminApi(config, () -> gens.active().plan.edition(), () -> gens.active().storage,
                () -> gens.active().source.slotName(), () -> gens.active().generation.rulesText(),
                new PgConnections(source)::open, gens::problem, http.metrics(), new AdminWiring.Generations() {
                    @Override
                    public java.util.Map<String, Object> status() {
                        return gens.status();
                    }

                    @Override
                    public java.util.Map<String, Object> reprocess() {
                        return gens.reprocess(currentRules(config, true));
                    }

                    @Override
                    public java.util.Map<String, Object> validate() {
                        return gens.validate(currentRules(config, false));
                    }
                }));
        http.readinessProblem(gens::readinessProblem);
        http.start();
        resources.add(http);
        resources.add(shapes); // closed before http: parked shape requests end instead of holding the stop
        generations.start(http.metrics(), () -> SourceDoctor.logChecks(gens.active().source));
    }

    /**
     * The sync rules to reprocess with: the rules file read again (so an operator edits it and calls
     * reprocess), or the inline rules of the configuration as loaded.
     */
    private static String currentRules(SynclineConfig config, boolean compile) {
        if (config.syncRules().path().isEmpty()) {
            return config.syncRules().content();
        }
        java.nio.file.Path path = config.syncRules().path().get();
        String text;
        try {
            text = java.nio.file.Files.readString(path);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(dev.syncline.server.errors.ServerError.SYNC_G1202.tag("cannot read the sync rules file " + path + ": "
                    + e.getMessage()));
        }
        if (compile) {
            SyncRulesPlan plan = SyncRules.compile(text);   // throws with line numbers when the rules are invalid
            for (RuleError warning : plan.warnings()) {
                log.warn("sync rules {}: {}", path, warning);
            }
        }
        return text;
    }

    /**
     * What {@code syncline doctor} checks: the capture of the storage generation serving clients
     * (its rules' tables, slot and publication), as the generation manifest names it.
     */
    public static PgSourceSettings servingSourceSettings(SynclineConfig config) {
        dev.syncline.server.generation.GenerationNames names = dev.syncline.server.generation.GenerationNames.of(config);
        java.util.Optional<dev.syncline.server.generation.GenerationManifest> manifest;
        try {
            manifest = dev.syncline.server.generation.GenerationStore.of(config.storage(), names).read();
        } catch (RuntimeException e) {
            log.warn("cannot read the generation manifest ({}); checking the configured slot", e.getMessage());
            manifest = java.util.Optional.empty();
        }
        return manifest
                .map(m -> {
                    PgSourceSettings s = sourceSettings(config, SyncRules.compile(m.active().rulesText()));
                    int id = m.active().id();
                    return new PgSourceSettings(s.jdbcUrl(), s.connectionProperties(), names.slot(id),
                            names.publication(id), s.tables(), s.snapshotChunkRows(), s.heartbeatInterval(),
                            s.maxPendingBytes(), s.managePublication(), s.snapshotChunkBytes());
                })
                .orElseGet(() -> sourceSettings(config));
    }

    /** What capture uses: the configured tables, or those the sync rules read. */
    public static PgSourceSettings sourceSettings(SynclineConfig config) {
        return sourceSettings(config, SyncRules.compile(config.syncRules().content()));
    }

    static PgSourceSettings sourceSettings(SynclineConfig config, SyncRulesPlan plan) {
        CaptureConfig capture = config.capture();
        List<TableName> tables = capture.tables().isEmpty()
                ? plan.sourceTables().stream().map(t -> new TableName(t.schema(), t.name())).sorted().toList()
                : capture.tables().stream().map(t -> new TableName(t.schema(), t.table())).toList();
        PostgresConnectionConfig connection = config.replication().connection();
        return new PgSourceSettings(connection.jdbcUrl(), connection.jdbcProperties(), capture.slotName(),
                capture.publicationName(), tables, capture.snapshotChunkRows(), capture.heartbeatInterval(),
                capture.maxPendingBytes(), capture.managePublication(), capture.snapshotChunkBytes());
    }

    /** What {@code syncline doctor} checks for uploads; empty when uploads are disabled. */
    public static List<dev.syncline.server.source.postgres.SourceChecks.Check> uploadChecks(SynclineConfig config) {
        return config.upload().enabled()
                ? Uploads.checks(config, SyncRules.compile(config.syncRules().content()))
                : List.of();
    }

    /** True once the initial copy is consistent and clients can sync. */
    public boolean ready() {
        return backend != null && backend.ready();
    }

    public int port() {
        return http.port();
    }

    /** The set-up problem that stopped change capture (the API keeps serving what storage holds). */
    public java.util.Optional<dev.syncline.server.source.postgres.CaptureException> captureProblem() {
        return generations == null ? java.util.Optional.empty() : generations.problem();
    }

    /** Completes normally when asked to stop (capture problems do not end the server: see {@link #captureProblem()}). */
    public CompletableFuture<Void> termination() {
        return termination;
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                log.warn("closing {}: {}", resources.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        resources.clear();
    }
}
