package dev.syncline.server.app;

import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.server.config.PostgresConnectionConfig;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.config.UploadConfig;
import dev.syncline.server.http.Authenticator;
import dev.syncline.server.upload.PgConnectionPool;
import dev.syncline.server.upload.UploadCatalog;
import dev.syncline.server.upload.UploadHandler;
import dev.syncline.server.upload.UploadLimits;
import dev.syncline.server.upload.UploadService;
import dev.syncline.server.upload.WritableTables;
import io.micrometer.core.instrument.MeterRegistry;
import org.postgresql.PGProperty;

import java.sql.DriverManager;
import java.time.Clock;
import java.util.List;
import java.util.Properties;

/** Builds the upload endpoint from the configuration: allow-list, connection pool, catalog, service. */
final class Uploads {
    private Uploads() {}

    /** The handler for {@code POST /api/upload}; the pool is added to {@code resources} to be closed with the app. */
    static UploadHandler start(SynclineConfig config, SyncRulesPlan plan, Authenticator authenticator,
                               MeterRegistry metrics, Clock clock, List<AutoCloseable> resources) {
        UploadConfig upload = config.upload();
        List<WritableTables.Allowed> allowed = upload.tables().isEmpty()
                ? plan.sourceTables().stream().map(t -> new WritableTables.Allowed(t.schema(), t.name())).toList()
                : upload.tables().stream().map(t -> new WritableTables.Allowed(t.schema(), t.table())).toList();
        PostgresConnectionConfig connection = config.replication().connection();
        Properties properties = new Properties();
        properties.putAll(connection.jdbcProperties());
        PGProperty.APPLICATION_NAME.set(properties, "syncline-upload");
        // Timestamps without an offset are read as UTC, whatever the database's default time zone.
        PGProperty.OPTIONS.set(properties, "-c TimeZone=UTC");
        PgConnectionPool pool = new PgConnectionPool(
                () -> DriverManager.getConnection(connection.jdbcUrl(), properties), upload.maxConnections());
        resources.add(pool);
        UploadCatalog catalog = new UploadCatalog(allowed, upload.role(), clock);
        UploadService service = new UploadService(pool, catalog, metrics, duration -> Thread.sleep(duration));
        service.warmUp();
        return new UploadHandler(authenticator, UploadLimits.of(upload), service);
    }
}
