package dev.syncline.server.app;

import dev.syncline.rules.ClientTable;
import dev.syncline.rules.SourceTable;
import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.server.config.PostgresConnectionConfig;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.config.UploadConfig;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.server.source.postgres.SourceChecks;
import dev.syncline.server.upload.AppliedUploadsPruner;
import dev.syncline.server.upload.PgConnectionPool;
import dev.syncline.server.upload.UploadCatalog;
import dev.syncline.server.upload.UploadChecks;
import dev.syncline.server.upload.UploadHandler;
import dev.syncline.server.upload.UploadLimits;
import dev.syncline.server.upload.UploadService;
import dev.syncline.server.upload.UserUploadSlots;
import dev.syncline.server.upload.VerifiedTokenCache;
import dev.syncline.server.upload.WritableTables;
import io.micrometer.core.instrument.MeterRegistry;
import org.postgresql.PGProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.DriverManager;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.Properties;

/** Builds the upload endpoint from the configuration: allow-list, connection pool, catalog, service. */
final class Uploads {
    private static final Logger log = LoggerFactory.getLogger(Uploads.class);
    private Uploads() {}

    /** The handler for {@code POST /api/upload}; the pool is added to {@code resources} to be closed with the app. */
    static UploadHandler start(SynclineConfig config, SyncRulesPlan plan, Authenticator authenticator,
                               MeterRegistry metrics, Clock clock, List<AutoCloseable> resources) {
        UploadConfig upload = config.upload();
        List<WritableTables.Allowed> allowed = allowed(plan, upload);
        PostgresConnectionConfig connection = upload.connection().orElse(config.replication().connection());
        if (upload.connection().isEmpty()) {
            log.warn("uploads connect as the replication user {}; give them a login of their own that can only become"
                    + " role {} (upload.connection, a NOINHERIT login: docs/upload.md)", connection.username(), upload.role());
        } else {
            log.info("uploads connect as {} to {}", connection.username(), connection.jdbcUrl());
        }
        Properties properties = new Properties();
        properties.putAll(connection.jdbcProperties());
        PGProperty.APPLICATION_NAME.set(properties, "syncline-upload");
        // Sends application_name and extra_float_digits in the startup packet instead of SET after
        // connecting, so the RESET ALL each connection gets when given back to the pool keeps them.
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(properties, "10");
        // Timestamps without an offset are read as UTC, whatever the database's default time zone.
        PGProperty.OPTIONS.set(properties, "-c TimeZone=UTC");
        PgConnectionPool pool = new PgConnectionPool(
                () -> DriverManager.getConnection(connection.jdbcUrl(), properties), upload.maxConnections());
        resources.add(pool);
        UploadCatalog catalog = new UploadCatalog(allowed, upload.role(), clock);
        UploadService service = new UploadService(pool, catalog, metrics, duration -> Thread.sleep(duration),
                UploadService.Settings.of(upload));
        service.warmUp();
        if (!upload.appliedRetention().isZero()) {
            resources.add(schedulePruning(new AppliedUploadsPruner(pool, upload.appliedRetention())));
        }
        return new UploadHandler(new VerifiedTokenCache(authenticator, clock), UploadLimits.of(upload), service,
                new UserUploadSlots(upload.maxConcurrentPerUser()));
    }

    /** What {@code syncline doctor} reports about uploads: the role, the login, and RLS on each writable table. */
    static List<SourceChecks.Check> checks(SynclineConfig config, SyncRulesPlan plan) {
        UploadConfig upload = config.upload();
        List<WritableTables.Allowed> allowed = allowed(plan, upload);
        PostgresConnectionConfig connection = upload.connection().orElse(config.replication().connection());
        Properties properties = new Properties();
        properties.putAll(connection.jdbcProperties());
        UploadCatalog catalog = new UploadCatalog(allowed, upload.role(), Clock.systemUTC());
        try (java.sql.Connection c = DriverManager.getConnection(connection.jdbcUrl(), properties)) {
            c.setReadOnly(true);
            return UploadChecks.run(catalog.inspect(c), allowed, upload.role());
        } catch (java.sql.SQLException e) {
            return List.of(new SourceChecks.Check("upload connection", SourceChecks.Status.PROBLEM,
                    "cannot connect as " + connection.username() + ": " + e.getMessage(),
                    "check upload.connection (or replication.connections) and pg_hba.conf"));
        }
    }

    /** Prunes a minute after start (not in the way of start-up), then hourly; closing stops it. */
    private static AutoCloseable schedulePruning(AppliedUploadsPruner pruner) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("syncline-upload-pruner").factory());
        timer.scheduleWithFixedDelay(() -> {
            try {
                pruner.pruneOnce();
            } catch (Exception e) {
                log.warn("pruning syncline.applied_uploads failed (retried in an hour): {}", e.toString());
            }
        }, 1, 60, TimeUnit.MINUTES);
        return timer::shutdownNow;
    }

    /**
     * The tables uploads may write, under the names clients know them by: each table the sync rules
     * publish under its client name (an alias such as {@code FROM todos AS tasks}) with its renamed
     * columns, and each other table in {@code tables} (e.g. one only parameter queries read) under
     * its own name, unless a client table already has that name.
     */
    /** The tables uploads may write: upload.tables, or every table the sync rules read; trusted ones marked. */
    private static List<WritableTables.Allowed> allowed(SyncRulesPlan plan, UploadConfig upload) {
        return allowed(plan, upload.tables().isEmpty()
                ? List.copyOf(plan.sourceTables())
                : upload.tables().stream().map(t -> new SourceTable(t.schema(), t.table())).toList(),
                upload.trustedTables().stream().map(t -> new SourceTable(t.schema(), t.table())).toList());
    }

    static List<WritableTables.Allowed> allowed(SyncRulesPlan plan, List<SourceTable> tables, List<SourceTable> trusted) {
        List<WritableTables.Allowed> allowed = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ClientTable t : plan.clientTables()) {
            if (tables.contains(t.source())) {
                allowed.add(new WritableTables.Allowed(t.source().schema(), t.source().name(), t.name(), t.renamed(),
                        t.derived(), t.problem(), trusted.contains(t.source())));
                names.add(t.name());
            }
        }
        for (SourceTable t : tables) {
            if (names.add(t.name())) {
                WritableTables.Allowed own = new WritableTables.Allowed(t.schema(), t.name());
                allowed.add(trusted.contains(t) ? own.trust() : own);
            }
        }
        for (SourceTable t : trusted) {
            if (!tables.contains(t)) {
                log.warn("upload.trusted_tables lists {}.{}, which uploads do not write (not in upload.tables or the sync"
                        + " rules) — remove it or add it to upload.tables", t.schema(), t.name());
            }
        }
        return allowed;
    }
}
