package dev.syncline.server.app;

import dev.syncline.rules.SyncRules;
import dev.syncline.server.admin.Diagnostics;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.config.TableRef;
import dev.syncline.server.generation.Generation;
import dev.syncline.server.generation.GenerationManifest;
import dev.syncline.server.generation.GenerationNames;
import dev.syncline.server.generation.GenerationWriteCheckpoints;
import dev.syncline.server.generation.RulesFingerprint;
import dev.syncline.server.generation.ServingGeneration;
import dev.syncline.server.source.postgres.CaptureError;
import dev.syncline.server.source.postgres.CaptureException;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.WriterFence;
import dev.syncline.server.storage.postgres.ReplicatorLease;
import dev.syncline.server.sync.GenerationFeed;
import dev.syncline.server.sync.StorageSyncBackend;
import dev.syncline.server.sync.WriteCheckpoints;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Versioned sync rules with live reprocessing. Storage is a sequence of generations
 * ({@link Generation}); the {@link GenerationManifest} beside the storage file names the active one
 * and the one being built. When the rules (their {@link RulesFingerprint}) differ from the active
 * generation's — at start, or on {@code POST /api/admin/v1/reprocess} — a new generation is built
 * beside it: its own storage file, slot, publication and snapshot, through the ordinary pipeline,
 * while the active one keeps serving and capturing. Once the new one has a consistent checkpoint
 * at or past the active one's position, the manifest switches (durably, first), clients move to
 * it ({@link ServingGeneration}), and the old generation's capture stops; its slot and storage are
 * dropped after a grace period, during which checkpoints computed just before the switch can still
 * be read. A crash at any point restarts with what the manifest says: the old generation serves,
 * the build resumes from its stored snapshot progress.
 *
 * <p>Op ids: a new generation's ops start above the active one's by {@link #OP_ID_GAP}, so that a
 * client's old positions are below every op of the new one and its buckets are reset by CLEAR; a
 * switch is refused (and the build started again higher) if the old generation got that far.
 *
 * <p>Where the manifest and each generation's storage live is the {@link
 * dev.syncline.server.generation.GenerationStore}'s business (SQLite files, PostgreSQL schemas).
 */
final class Generations implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Generations.class);
    /** Room for the serving generation's ops during a build (2^32: billions of ops). */
    static final long OP_ID_GAP = 1L << 32;
    /** How long the previous generation stays readable after a switch. */
    static final long GRACE_MILLIS = 10_000;
    private static final long CHECK_MILLIS = 200;
    /** A node that does not replicate reads the manifest every this many checks (1 s). */
    private static final int FOLLOW_EVERY = 5;
    /** How long a switch waits, the serving generation frozen, for the new one to store up to it. */
    private static final java.time.Duration SWITCH_WAIT = java.time.Duration.ofSeconds(5);

    private final SynclineConfig config;
    private final GenerationNames names;
    private MeterRegistry metrics;
    private final GenerationFeed feed = new GenerationFeed();
    private final ServingGeneration serving = new ServingGeneration(feed);
    private final GenerationWriteCheckpoints writeCheckpointStore;
    private final Function<GenerationRunner, StorageSyncBackend> backends;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("syncline-generations").unstarted(r));
    private final dev.syncline.server.generation.GenerationStore store;
    /** Written under this object's lock; read by the generations thread too. */
    private volatile GenerationManifest manifest;
    private volatile GenerationRunner active;
    private volatile GenerationRunner building;
    private volatile String lastSwitch;
    /** Generations switched away from, until dropped. */
    private final List<GenerationRunner> retiring = new java.util.concurrent.CopyOnWriteArrayList<>();
    /**
     * PostgreSQL storage: the replicator lease (this node captures only while it holds it) and its
     * election; null for SQLite storage, whose one server always captures (its lock file).
     */
    private final ReplicatorLease lease;
    private ReplicatorElection election;
    /** Whether this node runs capture and builds (always, without a lease). Guarded by this. */
    private volatile boolean replicating;
    private Runnable startupReport = () -> { };
    /** Checks run so far (the generations thread only). */
    private long tick;

    private Generations(SynclineConfig config, GenerationRunner active, GenerationManifest manifest,
                        dev.syncline.server.sync.SourcePosition position,
                        ReplicatorLease lease) {
        this.config = config;
        this.lease = lease;
        this.names = names(config);
        this.store = dev.syncline.server.generation.GenerationStore.of(config.storage(), names);
        this.active = active;
        this.manifest = manifest;
        this.writeCheckpointStore = new GenerationWriteCheckpoints(active.storage.writeCheckpoints());
        WriteCheckpoints shared = new WriteCheckpoints(writeCheckpointStore, position);
        this.backends = r -> {
            // A write checkpoint another node handed out: that client's session here must now look at
            // every checkpoint until replication passes it (the topic its evaluation depends on).
            r.storage.writeCheckpoints().subscribeRecordedElsewhere((user, client) -> feed.publish(user == null ? null
                    : Set.of(dev.syncline.server.sync.Interest.writeCheckpointTopic(user, client))));
            return new StorageSyncBackend(r.storage, r.plan, shared, feed,
                    new dev.syncline.protocol.OpId(r.generation.baseOpId()));
        };
        this.sharedWriteCheckpoints = shared;
    }

    private final WriteCheckpoints sharedWriteCheckpoints;

    static GenerationNames names(SynclineConfig config) {
        return GenerationNames.of(config);
    }

    /** The fingerprint of {@code rulesText} with this configuration's {@code capture.tables}. */
    static String fingerprint(SynclineConfig config, String rulesText) {
        return RulesFingerprint.of(rulesText, configuredTables(config));
    }

    private static List<String> configuredTables(SynclineConfig config) {
        return config.capture().tables().stream().map(TableRef::toString).toList();
    }

    private static List<String> tables(SynclineConfig config, String rulesText) {
        return SynclineApp.sourceSettings(config, SyncRules.compile(rulesText)).tables().stream()
                .map(t -> t.schema() + "." + t.name()).toList();
    }

    /**
     * Opens the active generation (generation 0 — the storage file itself — when there is no
     * manifest yet: its rules are taken to be the configured ones, as they were until now), starts
     * its capture, cleans up what earlier runs left, and resumes or starts a build when the
     * configured rules differ.
     */
    static Generations open(SynclineConfig config, dev.syncline.server.sync.SourcePosition position) {
        GenerationNames names = names(config);
        dev.syncline.server.generation.GenerationStore store =
                dev.syncline.server.generation.GenerationStore.of(config.storage(), names);
        String rules = config.syncRules().content();
        String wanted = fingerprint(config, rules);
        GenerationManifest manifest = store.read().orElse(null);
        if (manifest == null) {
            manifest = new GenerationManifest(1, new Generation(0, wanted, rules, tables(config, rules), 0), null);
            if (store.exists(0)) {
                log.info("{} has no generation manifest yet: recording it as generation 0, built from the "
                        + "configured sync rules (fingerprint {})", store.describe(0), RulesFingerprint.shortForm(wanted));
            }
            store.write(manifest);
        }
        ReplicatorLease lease = ReplicatorElection.leaseFor(config);
        GenerationRunner active;
        try {
            active = GenerationRunner.open(manifest.active(), names, store, config, fence(lease));
        } catch (RuntimeException e) {
            if (lease != null) {
                lease.close();
            }
            throw e;
        }
        Generations g = new Generations(config, active, manifest, position, lease);
        g.serving.serve(new ServingGeneration.Served(active.generation.id(), g.backends.apply(active),
                active.generation.baseOpId()));
        return g;
    }

    private static WriterFence fence(ReplicatorLease lease) {
        return lease == null ? WriterFence.NONE : lease;
    }

    private WriterFence fence() {
        return fence(lease);
    }

    /**
     * SQLite storage: starts replicating at once ({@link #becomeReplicator}). PostgreSQL storage:
     * starts the replicator election — this node replicates while it holds the lease — and,
     * meanwhile, follows the manifest the replicator writes ({@link #followManifest}).
     */
    void start(MeterRegistry metrics, Runnable startupReport) {
        this.metrics = metrics;
        this.startupReport = startupReport;
        registerMetrics();
        if (lease == null) {
            becomeReplicator();
        } else {
            io.micrometer.core.instrument.Gauge.builder("syncline.replicator", () -> replicating ? 1 : 0)
                    .description("1 while this node holds the replicator lease and captures, 0 while it only serves")
                    .register(metrics);
            log.info("serving storage generation {} ({}); replicating only while holding the replicator lease",
                    active.generation.id(), store.describe(active.generation.id()));
            election = new ReplicatorElection(lease, this::becomeReplicator, this::stopReplicating);
            election.start();
        }
        timer.scheduleWithFixedDelay(this::checkBuild, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the active generation's capture, then resumes or starts a build when the configured
     * rules differ from the active generation's. With a lease: first follows what the manifest says
     * now (the previous replicator may have switched generations).
     */
    synchronized void becomeReplicator() {
        if (lease != null) {
            followManifest();
        }
        replicating = true;
        String rules = config.syncRules().content();
        String wanted = fingerprint(config, rules);
        log.info("serving storage generation {} (rules {}, {}, slot {}, publication {}){}", active.generation.id(),
                RulesFingerprint.shortForm(active.generation.fingerprint()), store.describe(active.generation.id()),
                active.source.slotName(), active.source.publicationName(),
                active.generation.fingerprint().equals(wanted) ? "" : "; the configured sync rules differ from them");
        timer.execute(this::cleanUpLeftovers);   // may wait for a lingering walsender: not on the start path
        active.start(metrics, startupReport);
        startupReport = () -> { };
        Generation pending = manifest.building();
        if (!active.generation.fingerprint().equals(wanted)) {
            if (pending != null && pending.fingerprint().equals(wanted)) {
                log.info("resuming the build of generation {} for the configured sync rules", pending.id());
                startBuilding(pending);
            } else {
                if (pending != null) {
                    abandonPending(pending);
                }
                log.info("the configured sync rules (fingerprint {}) differ from generation {}'s ({}): building "
                        + "a new generation beside it; clients keep being served meanwhile",
                        RulesFingerprint.shortForm(wanted), active.generation.id(),
                        RulesFingerprint.shortForm(active.generation.fingerprint()));
                startBuilding(newGeneration(wanted, rules));
            }
        } else if (pending != null) {
            log.info("abandoning the build of generation {}: the configured rules are those of the active one",
                    pending.id());
            abandonPending(pending);
        }
    }

    /**
     * This node lost the replicator lease: stops capture and any build (the next replicator resumes
     * the build from the manifest and what its storage holds); clients keep being served.
     */
    synchronized void stopReplicating() {
        replicating = false;
        active.stopCapture();
        GenerationRunner b = building;
        if (b != null) {
            writeCheckpointStore.building(null);
            building = null;
            b.close();
        }
        log.info("stopped replicating (generation {} keeps serving what storage holds)", active.generation.id());
    }

    /**
     * A node that does not replicate: serves the generation the manifest names as active. When the
     * replicator switched generations, opens the new one (reading only) and moves clients to it as
     * the replicator's own switch does; the old one is closed after the grace period (the replicator
     * drops it).
     */
    private synchronized void followManifest() {
        if (replicating) {
            return;
        }
        GenerationManifest m = store.read().orElse(manifest);
        manifest = m;
        if (m.active().id() == active.generation.id()) {
            return;
        }
        GenerationRunner next = GenerationRunner.open(m.active(), names, store, config, fence());
        GenerationRunner old = active;
        writeCheckpointStore.building(next.storage.writeCheckpoints());
        writeCheckpointStore.switchToBuilding();
        active = next;
        serving.serve(new ServingGeneration.Served(next.generation.id(), backends.apply(next), next.generation.baseOpId()));
        lastSwitch = java.time.Instant.now().toString();
        log.info("the replicator switched to storage generation {}: clients of this node move to it now", next.generation.id());
        retiring.add(old);
        timer.schedule(() -> retire(old, false), GRACE_MILLIS, TimeUnit.MILLISECONDS);   // the replicator drops it
    }

    ServingGeneration serving() {
        return serving;
    }

    WriteCheckpoints writeCheckpoints() {
        return sharedWriteCheckpoints;
    }

    /** The active generation's capture problem (readiness, metrics and the admin API report it). */
    Optional<CaptureException> problem() {
        return active.problem();
    }

    Map<String, Object> readinessProblem() {
        return active.readinessProblem();
    }

    GenerationRunner active() {
        return active;
    }

    /**
     * Builds a new generation for {@code rulesText} (the configured rules file, read again), even
     * when they are the active ones' (a full re-copy). A build for the same rules already running
     * is kept; one for other rules is abandoned.
     */
    synchronized Map<String, Object> reprocess(String rulesText) {
        if (!replicating) {
            Map<String, Object> status = new java.util.LinkedHashMap<>(status());
            status.put("message", "this node does not replicate: call reprocess on the node holding the replicator "
                    + "lease (" + config.storage().schema() + ".replicator_lease names it)");
            return status;
        }
        String wanted = fingerprint(config, rulesText);
        GenerationRunner b = building;
        if (b != null && b.generation.fingerprint().equals(wanted)) {
            return status();
        }
        if (b != null) {
            abandon(b);
        }
        startBuilding(newGeneration(wanted, rulesText));
        return status();
    }

    /** {@link RulesValidation#validate}, for the generation a reprocess would build next. */
    Map<String, Object> validate(String rulesText) {
        return RulesValidation.validate(config, names, manifest.nextId(), active.generation.fingerprint(), rulesText);
    }

    private Generation newGeneration(String fingerprint, String rules) {
        long activeLast = active.storage.checkpoints().latest().map(c -> c.lastOpId().value()).orElse(0L);
        long base = Math.max(activeLast, active.generation.baseOpId()) + OP_ID_GAP;
        return new Generation(manifest.nextId(), fingerprint, rules, tables(config, rules), base);
    }

    private void startBuilding(Generation next) {
        manifest = manifest.building(next);
        store.write(manifest);   // durable before anything of it exists: a crash leaves it to resume or drop
        GenerationRunner runner = GenerationRunner.open(next, names, store, config, fence());
        writeCheckpointStore.building(runner.storage.writeCheckpoints());
        building = runner;
        log.info("generation {}: building from sync rules {} through slot {} (op ids above {})", next.id(),
                RulesFingerprint.shortForm(next.fingerprint()), runner.source.slotName(), next.baseOpId());
        // same registry: a build stopped on a set-up problem shows as syncline_capture_stopped{code}
        runner.start(metrics, () -> { });
    }

    private void abandon(GenerationRunner b) {
        writeCheckpointStore.building(null);
        building = null;
        manifest = manifest.withoutBuild();
        store.write(manifest);
        log.info("generation {}: build abandoned, dropping its slot and storage", b.generation.id());
        b.drop(names, store);
    }

    private void abandonPending(Generation pending) {
        manifest = manifest.withoutBuild();
        store.write(manifest);
        timer.execute(() -> {
            GenerationRunner.dropSource(sourceOf(pending.id()), pending.id(), names);
            store.delete(pending.id());
        });
    }

    private PgSourceSettings sourceOf(int id) {
        return active.source.withSlotName(names.slot(id));
    }

    /** Drops slots and files of generations the manifest no longer names (a crash between switch and drop). */
    private void cleanUpLeftovers() {
        GenerationManifest m = manifest;   // a build started later gets an id at or above m.nextId()
        Generation pending = m.building();
        for (int id = 0; id < m.nextId(); id++) {
            if (id == m.active().id() || (pending != null && id == pending.id())) {
                continue;
            }
            if (store.exists(id)) {
                log.info("generation {} is retired: dropping what is left of it", id);
                store.delete(id);
            }
            GenerationRunner.dropSource(sourceOf(id), id, names);   // no-op when its slot is gone
        }
    }

    /**
     * Capture problems of the serving generation that a full copy from a new slot heals: its slot was
     * invalidated, dropped or replaced (so it cannot be streamed from without losing changes), or a
     * table was dropped and re-created or the captured tables changed. The serving generation keeps
     * serving what it holds meanwhile.
     */
    static final Set<CaptureError> RECOPIED = EnumSet.of(CaptureError.SLOT_INVALIDATED, CaptureError.SLOT_MISSING,
            CaptureError.SLOT_REPLACED, CaptureError.TABLE_RECREATED, CaptureError.TABLE_SET_CHANGED,
            CaptureError.TABLE_RESHAPED);

    /** Runs every {@value #CHECK_MILLIS} ms on the generations thread: switches once the build caught up. */
    private void checkBuild() {
        try {
            if (!replicating) {
                if (lease != null && tick++ % FOLLOW_EVERY == 0) {
                    followManifest();
                }
                return;
            }
            recopyAfterCaptureProblem();
            GenerationRunner b = building;
            if (b == null || b.storage.checkpoints().latest().isEmpty()) {
                return;   // nothing built, still copying, or not yet past the copy's consistent point
            }
            Optional<Checkpoint> served = active.storage.checkpoints().latest();
            if (served.isPresent() && b.storedUpTo() < served.get().position().value()) {
                return;   // not caught up with what clients may already have
            }
            switchTo(b);
        } catch (RuntimeException e) {
            log.warn("checking the generation build failed: {}", e.toString());
        }
    }

    /** Starts a new generation from a new slot when the serving one stopped with a {@link #RECOPIED} problem. */
    private synchronized void recopyAfterCaptureProblem() {
        if (!replicating) {
            return;
        }
        GenerationRunner b = building;
        if (b != null) {   // the build itself met such a problem (a migration during the copy): build again
            Optional<CaptureException> p = b.problem();
            if (p.isPresent() && RECOPIED.contains(p.get().error())) {
                log.warn("generation {}: its build stopped with {} ({}); building again", b.generation.id(),
                        p.get().error().code(), p.get().getMessage());
                abandon(b);
                startBuilding(newGeneration(b.generation.fingerprint(), b.generation.rulesText()));
            }
            return;
        }
        Optional<CaptureException> problem = active.problem();
        if (problem.isEmpty() || !RECOPIED.contains(problem.get().error())) {
            return;
        }
        log.warn("generation {}: capture stopped with {} ({}); copying everything again into a new generation "
                        + "from a new slot, while clients keep being served what generation {} holds",
                active.generation.id(), problem.get().error().code(), problem.get().getMessage(), active.generation.id());
        startBuilding(newGeneration(active.generation.fingerprint(), active.generation.rulesText()));
    }

    /**
     * Freezes the serving generation (its capture stops, so no checkpoint past {@code frozen} can
     * reach a client), waits until the new one stored everything up to the frozen position, then
     * switches. Clients never go back in source time: the new generation's first checkpoint is at
     * or past every one they were sent.
     */
    private synchronized void switchTo(GenerationRunner b) {
        if (building != b) {
            return;
        }
        GenerationRunner old = active;
        old.stopCapture();
        Optional<Checkpoint> frozen = old.storage.checkpoints().latest();
        long frozenAt = frozen.map(c -> c.position().value()).orElse(0L);
        long builtUpTo = b.storedUpTo();
        long deadline = System.nanoTime() + SWITCH_WAIT.toNanos();
        while (builtUpTo < frozenAt && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                old.start(metrics, () -> { });
                return;
            }
            builtUpTo = b.storedUpTo();
        }
        if (builtUpTo < frozenAt) {
            log.info("generation {} has not reached {} yet; switching later", b.generation.id(),
                    new dev.syncline.server.source.postgres.Lsn(frozenAt));
            old.start(metrics, () -> { });
            return;
        }
        if (frozen.isPresent() && frozen.get().lastOpId().value() >= b.generation.baseOpId()) {
            log.error("generation {}: the serving generation's op ids reached {} during the build, past the new one's "
                    + "base {}; building again above them", b.generation.id(), frozen.get().lastOpId().value(),
                    b.generation.baseOpId());
            old.start(metrics, () -> { });
            abandon(b);
            startBuilding(newGeneration(b.generation.fingerprint(), b.generation.rulesText()));
            return;
        }
        manifest = manifest.switched();
        store.write(manifest);   // the switch: durable before any client sees the new generation
        writeCheckpointStore.switchToBuilding();
        active = b;
        building = null;
        serving.serve(new ServingGeneration.Served(b.generation.id(), backends.apply(b), b.generation.baseOpId()));
        lastSwitch = java.time.Instant.now().toString();
        log.info("switched to storage generation {} (rules {}) at {}: clients move to it now; generation {} is dropped "
                        + "in {} s", b.generation.id(), RulesFingerprint.shortForm(b.generation.fingerprint()),
                new dev.syncline.server.source.postgres.Lsn(builtUpTo), old.generation.id(), GRACE_MILLIS / 1000);
        retiring.add(old);
        timer.schedule(() -> retire(old, true), GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** After the grace period: closes the generation switched away from, and drops it if {@code drop}. */
    private void retire(GenerationRunner old, boolean drop) {
        ServingGeneration.Served previous = serving.forgetPrevious();
        if (previous != null) {
            try {
                previous.backend().close();
            } catch (Exception e) {
                log.warn("closing generation {}'s sync backend: {}", old.generation.id(), e.toString());
            }
        }
        if (drop) {
            old.drop(names, store);
            log.info("generation {} dropped", old.generation.id());
        } else {
            old.close();
        }
        retiring.remove(old);
    }

    /** What diagnostics and the reprocess answer show about the generations. */
    Map<String, Object> status() {
        Map<String, Object> status = GenerationReport.status(active, building, lastSwitch);
        if (lease != null) {
            status = new java.util.LinkedHashMap<>(status);
            status.put("replicator", replicating);
            status.put("replicator_epoch", lease.epoch());
        }
        return status;
    }

    private void registerMetrics() {
        GenerationReport.register(metrics, () -> active, () -> building);
    }

    @Override
    public void close() {
        if (election != null) {
            election.close();
        }
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        GenerationRunner b = building;
        if (b != null) {
            b.close();
        }
        ServingGeneration.Served previous = serving.forgetPrevious();
        ServingGeneration.Served current = serving.active();
        for (ServingGeneration.Served s : new ServingGeneration.Served[] {previous, current}) {
            if (s != null) {
                try {
                    s.backend().close();
                } catch (Exception e) {
                    log.warn("closing a sync backend: {}", e.toString());
                }
            }
        }
        retiring.forEach(GenerationRunner::close);   // dropped at the next start (cleanUpLeftovers)
        active.close();
        if (lease != null) {
            lease.close();   // last: capture has stopped, so no write of ours is refused; another node takes over
        }
    }
}
