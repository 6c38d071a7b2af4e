package dev.syncline.server.admin;

import java.util.Map;
import java.util.function.IntSupplier;

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

    /** What the admin API asks of the storage generations (app.Generations). */
    public interface Generations {
        /** The active and the building generation, for diagnostics. */
        Map<String, Object> status();

        /** Starts building a generation from the sync rules as configured now; answers {@link #status()}. */
        Map<String, Object> reprocess();

        /** Checks the sync rules as configured now against the live source; changes nothing. */
        Map<String, Object> validate();
    }

    /**
     * @param edition  the active generation's rules edition
     * @param storage  the active generation's storage
     * @param slotName the active generation's slot
     * @param rules    the active generation's sync rules text
     */
    public static AdminApi adminApi(SynclineConfig config, IntSupplier edition, Supplier<BucketStorage> storage,
                                    Supplier<String> slotName, Supplier<String> rules, Supplier<Connection> sourceDb,
                                    Supplier<Optional<CaptureException>> captureProblem, MeterRegistry metrics,
                                    Generations generations) {
        ReplicationGauges.register(metrics, storage, sourceDb, slotName);
        Diagnostics diagnostics = new Diagnostics(
                new Diagnostics.Served(rules, edition, config.storage().type(), slotName),
                new Diagnostics.Sources(storage, sourceDb, captureProblem, () -> connectedClients(metrics),
                        generations::status));
        return new AdminApi(new AdminAuth(config.admin().token()), diagnostics, generations);
    }

    /** The sync API's own gauge of open streams (HTTP and WebSocket). */
    private static int connectedClients(MeterRegistry metrics) {
        Gauge g = metrics.find("syncline_sync_connections").gauge();
        return g == null ? 0 : (int) g.value();
    }
}
