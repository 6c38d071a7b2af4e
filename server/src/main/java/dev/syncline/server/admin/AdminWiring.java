package dev.syncline.server.admin;

import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.source.postgres.CaptureException;
import dev.syncline.server.storage.BucketStorage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.sql.Connection;
import java.util.Optional;
import java.util.function.Supplier;

/** Builds the admin API and the replication gauges from the parts {@code app.SynclineApp} starts. */
public final class AdminWiring {
    private AdminWiring() {}

    public static AdminApi adminApi(SynclineConfig config, SyncRulesPlan plan, BucketStorage storage,
                                    Supplier<Connection> sourceDb, Supplier<Optional<CaptureException>> captureProblem,
                                    MeterRegistry metrics) {
        ReplicationGauges.register(metrics, storage, sourceDb, config.capture().slotName());
        Diagnostics diagnostics = new Diagnostics(
                new Diagnostics.Served(config.syncRules().content(), plan.edition(), config.storage().type(),
                        config.capture().slotName()),
                new Diagnostics.Sources(storage, sourceDb, captureProblem, () -> connectedClients(metrics)));
        return new AdminApi(new AdminAuth(config.admin().token()), diagnostics);
    }

    /** The sync API's own gauge of open streams (HTTP and WebSocket). */
    private static int connectedClients(MeterRegistry metrics) {
        Gauge g = metrics.find("syncline_sync_connections").gauge();
        return g == null ? 0 : (int) g.value();
    }
}
