package dev.syncline.server.app;

import dev.syncline.protocol.OpId;
import dev.syncline.rules.SyncRules;
import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.server.config.StorageConfig;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.generation.Generation;
import dev.syncline.server.generation.GenerationNames;
import dev.syncline.server.pipeline.BatchPolicy;
import dev.syncline.server.pipeline.HandOffPipeline;
import dev.syncline.server.pipeline.ReplicationPipeline;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BackgroundCompaction;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.StorageFactory;
import dev.syncline.server.storage.WriteTransaction;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One storage generation at work: its storage, the replication pipeline evaluating its own sync
 * rules, and change capture through its own slot and publication, supervised like the only one
 * used to be. {@link #drop} removes every trace of it (slot, publication, files).
 */
final class GenerationRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GenerationRunner.class);

    final Generation generation;
    final SyncRulesPlan plan;
    final BucketStorage storage;
    final PgSourceSettings source;
    private final HandOffPipeline pipeline;
    private volatile CaptureSupervisor supervisor;
    private final List<AutoCloseable> resources = new ArrayList<>();

    private GenerationRunner(Generation generation, SyncRulesPlan plan, BucketStorage storage, PgSourceSettings source,
                             HandOffPipeline pipeline, List<AutoCloseable> resources) {
        this.generation = generation;
        this.plan = plan;
        this.storage = storage;
        this.source = source;
        this.pipeline = pipeline;
        this.resources.addAll(resources);
    }

    /**
     * Opens (creating if needed) the generation's storage and sets up its capture, not started yet
     * (only the replicator starts it; other nodes of a PostgreSQL storage only read). Writes are
     * checked against {@code fence}.
     */
    static GenerationRunner open(Generation g, GenerationNames names,
                                 dev.syncline.server.generation.GenerationStore store, SynclineConfig config,
                                 dev.syncline.server.storage.WriterFence fence) {
        SyncRulesPlan plan = SyncRules.compile(g.rulesText());
        List<AutoCloseable> resources = new ArrayList<>();
        StorageConfig storageConfig = store.storage(g.id());
        BucketStorage storage = StorageFactory.open(storageConfig, fence);
        resources.add(storage);
        try {
            resources.add(new BackgroundCompaction(storage, StorageFactory.describe(storageConfig),
                    SynclineApp.COMPACTION_INTERVAL));
            HandOffPipeline pipeline = new HandOffPipeline(new ReplicationPipeline(storage, new RulesRowEvaluator(plan),
                    BatchPolicy.DEFAULT, System::nanoTime), config.capture().maxQueuedBytes());
            resources.add(pipeline);
            PgSourceSettings base = SynclineApp.sourceSettings(config, plan);
            List<TableName> tables = g.tables().stream().map(GenerationRunner::table).toList();
            PgSourceSettings source = new PgSourceSettings(base.jdbcUrl(), base.connectionProperties(),
                    names.slot(g.id()), names.publication(g.id()), tables, base.snapshotChunkRows(),
                    base.heartbeatInterval(), base.maxPendingBytes(), base.managePublication(), base.snapshotChunkBytes());
            return new GenerationRunner(g, plan, storage, source, pipeline, resources);
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    static TableName table(String qualified) {
        int dot = qualified.indexOf('.');
        return new TableName(qualified.substring(0, dot), qualified.substring(dot + 1));
    }

    /** Starts change capture, supervised; {@code startupReport} runs once before the first attempt. */
    synchronized void start(MeterRegistry metrics, Runnable startupReport) {
        if (supervisor == null) {
            if (generation.baseOpId() > 0) {   // its op ids start above the base (idempotent: a maximum)
                try (WriteTransaction t = storage.writer().begin()) {
                    t.reserveOpIdsThrough(new OpId(generation.baseOpId()));
                    t.commit(null, false);
                }
            }
            supervisor = new CaptureSupervisor(() -> new PostgresChangeCapture(source, pipeline, pipeline),
                    startupReport, metrics);
            supervisor.start();
        }
    }

    /** How far storage durably processed the source, as in diagnostics' {@code stored_lsn}. */
    long storedUpTo() {
        try (dev.syncline.server.storage.ReadView view = storage.reader().open()) {
            long stored = dev.syncline.server.admin.Diagnostics.storedPosition(view.writerState());
            return Math.max(stored, storage.checkpoints().latest().map(c -> c.position().value()).orElse(0L));
        }
    }

    /** The set-up problem that stopped this generation's capture, if any. */
    java.util.Optional<dev.syncline.server.source.postgres.CaptureException> problem() {
        CaptureSupervisor s = supervisor;
        return s == null ? java.util.Optional.empty() : s.problem();
    }

    java.util.Map<String, Object> readinessProblem() {
        CaptureSupervisor s = supervisor;
        return s == null ? java.util.Map.of() : s.readinessProblem();
    }

    /** Stops capture (a later {@link #start} starts it again); storage stays readable. */
    synchronized void stopCapture() {
        CaptureSupervisor s = supervisor;
        supervisor = null;
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void close() {
        stopCapture();
        closeAll(resources);
        resources.clear();
    }

    /**
     * Closes, then drops the slot (waiting for our own walsender to go), the publication when it is
     * this generation's own, and the storage files. Failures are logged: the next start drops
     * whatever of a generation the manifest no longer names.
     */
    void drop(GenerationNames names, dev.syncline.server.generation.GenerationStore store) {
        close();
        dropSource(source, generation.id(), names);
        store.delete(generation.id());
    }

    static void dropSource(PgSourceSettings source, int id, GenerationNames names) {
        String slot = names.slot(id);
        try (Connection c = DriverManager.getConnection(source.jdbcUrl(), source.connectionProperties())) {
            long end = System.nanoTime() + 30_000_000_000L;
            while (true) {
                Integer pid = null;
                boolean exists;
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
                    ps.setString(1, slot);
                    try (ResultSet rs = ps.executeQuery()) {
                        exists = rs.next();
                        if (exists) {
                            int p = rs.getInt(1);
                            pid = rs.wasNull() ? null : p;
                        }
                    }
                }
                if (!exists) {
                    break;
                }
                if (pid == null) {
                    try (PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                        drop.setString(1, slot);
                        drop.execute();
                        log.info("generation {}: dropped replication slot {}", id, slot);
                        break;
                    } catch (SQLException e) {
                        if (!"55006".equals(e.getSQLState())) {
                            throw e;
                        }
                    }
                }
                if (System.nanoTime() > end) {
                    log.warn("generation {}: replication slot {} is still in use by pid {}; not dropped (the next "
                            + "start tries again)", id, slot, pid);
                    break;
                }
                Thread.sleep(200);
            }
            if (id > 0 && names.managePublication()) {
                try (PreparedStatement ps = c.prepareStatement("DROP PUBLICATION IF EXISTS "
                        + TableName.quoteIdentifier(names.publication(id)))) {
                    ps.execute();
                }
            }
        } catch (SQLException e) {
            log.warn("generation {}: cannot drop replication slot {} or its publication: {} (the next start tries "
                    + "again)", id, slot, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                log.warn("closing {}: {}", resources.get(i).getClass().getSimpleName(), e.toString());
            }
        }
    }
}
