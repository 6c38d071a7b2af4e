package dev.syncline.server.source.postgres;

import dev.syncline.server.source.postgres.pgoutput.PgOutputDecoder;
import dev.syncline.server.source.postgres.values.CatalogPgTypeResolver;
import dev.syncline.server.source.postgres.values.PgValueMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Lossless change capture from one PostgreSQL database: ensures the publication and slot, copies
 * the tables (fresh or resumed), then streams committed transactions to the sink, confirming to
 * PostgreSQL only what the sink reports durable.
 *
 * <p>Lifecycle: {@link #start()} does the set-up and the copy on the caller's thread (throwing a
 * {@link CaptureException} on any problem), then streams on a background thread until
 * {@link #close()}; {@link #completion()} completes exceptionally if streaming fails.
 */
public final class PostgresChangeCapture implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresChangeCapture.class);

    private static final long SLOT_BUSY_WAIT_NANOS = 15_000_000_000L;
    /**
     * Seconds without a reply after which a walsender of ours holding the slot is taken for
     * abandoned (see endAbandonedWalsender): ten missed status updates.
     */
    static final int ABANDONED_AFTER_SECONDS = 10;

    private final PgSourceSettings settings;
    private final CaptureSink sink;
    private final RowImageLookup storedImages;
    private final PgConnections connections;
    private final CompletableFuture<Void> completion = new CompletableFuture<>();
    private volatile boolean running;
    private Connection catalogConnection;
    private PgServerVersion version;
    /** Volatile: the sink may acknowledge from a thread of its own (a storage writer). */
    private volatile ReplicationStreamReader reader;
    private Heartbeat heartbeat;
    /** Set by the heartbeat when a captured table was dropped and re-created; ends the stream loop. */
    private volatile CaptureException catalogProblem;
    private Thread captureThread;
    /** Set in {@link #start} for {@link SlotGuard}: whose slot, and how far storage acknowledged it. */
    private SlotProbe.SourceSystem system;
    private SlotManager slotManager;
    private SlotIdentity slotIdentity;
    private Lsn acknowledged;
    /** The identity stored by a run that died before its slot was recorded (storage holds nothing else). */
    private SlotIdentity pendingIntent;

    public PostgresChangeCapture(PgSourceSettings settings, CaptureSink sink, RowImageLookup storedImages) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.storedImages = storedImages;
        this.connections = new PgConnections(settings);
    }

    public CompletableFuture<Void> completion() {
        return completion;
    }

    public void start() {
        sink.open(lsn -> {
            ReplicationStreamReader r = reader;
            if (r != null) {
                r.acknowledge(lsn);
            }
        });
        catalogConnection = connections.open();
        try {
            version = PgServerVersion.read(catalogConnection).requireSupported();
            log.info("source is PostgreSQL {}; slot {}, publication {}", version, settings.slotName(),
                    settings.publicationName());
            TableCatalog catalog = new TableCatalog(catalogConnection);
            catalog.requireLogicalWal();
            List<TableCatalog.TableInfo> tables = catalog.describeAll(settings.tables());
            new PublicationManager(catalogConnection).ensure(settings.publicationName(), settings.tables(),
                    settings.managePublication());
            RowMapper rowMapper = new RowMapper(new PgValueMapper(new CatalogPgTypeResolver(connections::open)));

            CaptureState state = sink.loadState();
            system = identifySource();
            acknowledged = state.acknowledged();
            if (state.snapshot() != null && state.snapshot().slot() != null && state.snapshot().slot().intentOnly()) {
                pendingIntent = state.snapshot().slot();
                state = new CaptureState(null, state.storedCommitLsn(), state.acknowledged());
            }
            SnapshotProgress progress = ensureSnapshot(state, tables, catalog, rowMapper);
            checkNotRecreated(progress, tables);

            Map<TableName, Integer> knownIds = new HashMap<>();
            Map<TableName, List<SourceTable.SourceColumn>> knownColumns = new HashMap<>();
            Map<TableName, List<String>> keys = new HashMap<>();
            for (TableCatalog.TableInfo info : tables) {
                knownIds.put(info.table().name(), info.table().relationId());
                knownColumns.put(info.table().name(), info.table().columns());
                keys.put(info.table().name(), info.table().primaryKey());
            }
            Function<TableName, List<String>> primaryKeyOf = name -> keys.computeIfAbsent(name,
                    n -> catalog.describe(n).map(i -> i.table().primaryKey()).orElse(List.of()));
            TransactionAssembler assembler = new TransactionAssembler(sink, rowMapper, primaryKeyOf, storedImages,
                    knownIds, state.storedCommitLsn(), progress.consistentAfter(), settings.maxPendingBytes());

            reader = openReader();
            heartbeat = new Heartbeat(connections, settings.heartbeatInterval(), knownIds, knownColumns,
                    problem -> catalogProblem = problem);
            running = true;
            captureThread = Thread.ofPlatform().name("syncline-capture").unstarted(() -> streamLoop(assembler));
            reader.start();
            captureThread.start();
            log.info("streaming changes from slot {} (stored through {})", settings.slotName(),
                    state.storedCommitLsn());
        } catch (SQLException e) {
            close();
            throw SetupFailures.classify(e, "capture set-up failed");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Starts streaming; retries for a while when the slot is still held by a walsender of a
     * previous run that PostgreSQL has not yet reaped (SQLSTATE 55006), and ends such a walsender
     * at once when its client has gone silent ({@link #endAbandonedWalsender}).
     */
    private ReplicationStreamReader openReader() throws SQLException {
        long deadline = System.nanoTime() + SLOT_BUSY_WAIT_NANOS;
        while (true) {
            Connection replication = connections.openReplication();
            try {
                nameConnection(replication);
                // The walsender may run another version than the catalog connection saw (a failover); ask it.
                PgServerVersion walsender = PgServerVersion.read(replication).requireSupported();
                ReplicationStreamReader started = new ReplicationStreamReader(replication, settings.slotName(),
                        walsender.pgoutputOptions(settings.publicationName()), Lsn.ZERO, settings.maxPendingBytes());
                requireHeldByUs(replication, started);
                return started;
            } catch (SQLException e) {
                replication.close();
                if (!"55006".equals(e.getSQLState())) {
                    throw e;
                }
                if (System.nanoTime() > deadline) {
                    throw new CaptureException(CaptureError.SLOT_IN_USE, "replication slot " + settings.slotName()
                            + " is in use: " + e.getMessage(), e);
                }
                endAbandonedWalsender();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Ends the walsender holding the slot if it serves a connection of this storage (our {@code
     * application_name}) whose client has not replied for {@link #ABANDONED_AFTER_SECONDS}: a live
     * capture replies every second, also while it stops reading ({@link ReplicationStreamReader}),
     * so that client is gone or cut off. A node behind a partition that drops packets is such a
     * client: PostgreSQL keeps its walsender, and the slot, until {@code wal_sender_timeout} (60 s
     * by default), and the node that took over would wait that long. Not having the right to end
     * it (another role's walsender) or any other error leaves the wait as it was; an ended one frees
     * the slot within moments, for openReader's next try.
     */
    private void endAbandonedWalsender() {
        try (PreparedStatement ps = catalogConnection.prepareStatement(
                "SELECT r.pid, pg_terminate_backend(r.pid) FROM pg_stat_replication r"
                        + " JOIN pg_replication_slots s ON s.active_pid = r.pid"
                        + " WHERE s.slot_name = ? AND r.application_name = ?"
                        + " AND coalesce(r.reply_time, r.backend_start) < clock_timestamp() - make_interval(secs => ?)")) {
            ps.setString(1, settings.slotName());
            ps.setString(2, slotIdentity.applicationName());
            ps.setInt(3, ABANDONED_AFTER_SECONDS);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getBoolean(2)) {
                    log.warn("ended walsender pid {} that held replication slot {} for a connection of this storage"
                            + " whose client has not replied for over {} s (a previous run, or a node cut off)",
                            rs.getInt(1), settings.slotName(), ABANDONED_AFTER_SECONDS);
                }
            }
        } catch (SQLException e) {
            log.debug("could not end the walsender holding slot {}: {}", settings.slotName(), e.getMessage());
        }
    }

    /** The source's system identifier and database, from {@code IDENTIFY_SYSTEM} on a short walsender connection. */
    private SlotProbe.SourceSystem identifySource() throws SQLException {
        try (Connection replication = connections.openReplication()) {
            return SlotProbe.identify(replication);
        }
    }

    /** Our walsender carries this storage's {@link SlotIdentity#applicationName}, so others can tell it from theirs. */
    private void nameConnection(Connection replication) throws SQLException {
        try (java.sql.Statement s = replication.createStatement()) {
            s.execute("SET application_name = '" + slotIdentity.applicationName() + "'");
        }
    }

    /**
     * Once streaming started the slot cannot be dropped or taken; check again that it is ours and
     * has not moved past storage, so nothing between the first check and now can slip through.
     */
    private void requireHeldByUs(Connection replication, ReplicationStreamReader started) throws SQLException {
        try {
            int pid = replication.unwrap(org.postgresql.PGConnection.class).getBackendPID();
            SlotGuard.Observed held = SlotGuard.requireOwn(settings.slotName(), system.database(), slotIdentity,
                    acknowledged, system.systemId(), SlotProbe.observe(slotManager, catalogConnection,
                            settings.slotName()), slotIdentity.applicationName());
            if (held.activePid() == null || held.activePid() != pid) {
                throw new CaptureException(CaptureError.SLOT_HELD_ELSEWHERE, "replication slot " + settings.slotName()
                        + " is " + held.describe() + " instead of by this server's walsender (pid " + pid + ")");
            }
        } catch (RuntimeException e) {
            started.close();
            throw e;
        }
    }

    private SnapshotProgress ensureSnapshot(CaptureState state, List<TableCatalog.TableInfo> tables,
                                            TableCatalog catalog, RowMapper rowMapper) throws SQLException {
        SlotManager slots = new SlotManager(catalogConnection, version);
        if (state.snapshot() == null) {
            slotManager = slots;
            SlotGuard.FreshStart action = SlotGuard.freshStart(settings.slotName(), pendingIntent, system.systemId(),
                    SlotProbe.observe(slots, catalogConnection, settings.slotName()));
            if (action == SlotGuard.FreshStart.DROP_OWN_AND_CREATE) {
                log.warn("slot {} was created by this storage's previous run, which stopped before recording it; "
                        + "dropping it to start a fresh snapshot", settings.slotName());
                slots.drop(settings.slotName());
            }
            // Recorded before the slot exists: after a crash right after creating it, the slot is known as ours.
            SlotIdentity intent = new SlotIdentity(settings.slotName(), system.systemId(), null);
            SnapshotProgress fresh = new SnapshotProgress(settings.slotName(), Lsn.ZERO,
                    tables.stream().map(t -> new SnapshotProgress.TableProgress(t.table().name(),
                            t.table().relationId(), List.of(), 0, false)).toList(), intent);
            sink.snapshotStarted(fresh);
            try (Connection replication = connections.openReplication();
                 Connection copy = connections.open()) {
                // The exported snapshot lives only while `replication` stays open and idle.
                SlotManager.CreatedSlot slot = SlotManager.create(replication, settings.slotName());
                slotIdentity = intent.created(slot.consistentPoint());
                SnapshotProgress progress = fresh.withConsistentAfter(slot.consistentPoint()).withSlot(slotIdentity);
                sink.snapshotStarted(progress);
                InitialSnapshot snapshot = new InitialSnapshot(copy, rowMapper, settings.snapshotChunkRows(), settings.snapshotChunkBytes(),
                        System::nanoTime);
                snapshot.begin(slot.snapshotName());
                return snapshot.copy(tables, progress, sink);
            }
        }
        slotManager = slots;
        SnapshotProgress progress = state.snapshot();
        SlotGuard.Observed slot = SlotGuard.requireOwn(settings.slotName(), system.database(), progress.slot(),
                acknowledged, system.systemId(), SlotProbe.observe(slots, catalogConnection, settings.slotName()),
                progress.slot() == null ? null : progress.slot().applicationName());
        slotIdentity = progress.slot();
        if (slotIdentity == null) {
            // Storage from before slot identities: adopt the slot as it is now, and check it from here on.
            slotIdentity = new SlotIdentity(settings.slotName(), system.systemId(), slot.confirmedFlush());
            progress = progress.withSlot(slotIdentity);
            sink.snapshotStarted(progress);
            log.info("recorded the identity of replication slot {}", slotIdentity);
        }
        List<TableName> stored = progress.tables().stream().map(SnapshotProgress.TableProgress::table).toList();
        if (!stored.equals(settings.tables())) {
            throw new CaptureException(CaptureError.TABLE_SET_CHANGED, "stored snapshot covers " + stored
                    + ", configuration asks for " + settings.tables());
        }
        if (progress.complete()) {
            return progress;
        }
        try (Connection copy = connections.open()) {
            InitialSnapshot snapshot = new InitialSnapshot(copy, rowMapper, settings.snapshotChunkRows(), settings.snapshotChunkBytes(),
                    System::nanoTime);
            snapshot.begin(null);
            // Rows copied from this newer snapshot may be ahead of the stream until it passes this point.
            Lsn resumedAt = catalog.currentWalLsn();
            progress = progress.withConsistentAfter(Lsn.max(progress.consistentAfter(), resumedAt));
            sink.snapshotStarted(progress);
            log.info("resuming the initial copy on a new snapshot; consistent once streaming passes {}", resumedAt);
            return snapshot.copy(tables, progress, sink);
        }
    }

    private static void checkNotRecreated(SnapshotProgress progress, List<TableCatalog.TableInfo> tables) {
        for (TableCatalog.TableInfo info : tables) {
            int stored = progress.table(info.table().name()).relationId();
            if (stored != info.table().relationId()) {
                throw new CaptureException(CaptureError.TABLE_RECREATED, "table " + info.table().name()
                        + " has relation id " + Integer.toUnsignedString(info.table().relationId())
                        + " but was copied as " + Integer.toUnsignedString(stored));
            }
        }
    }

    private void streamLoop(TransactionAssembler assembler) {
        PgOutputDecoder decoder = new PgOutputDecoder();
        try {
            while (running) {
                CaptureException problem = catalogProblem;
                if (problem != null) {
                    throw problem;
                }
                ByteBuffer message = reader.next(0);
                if (message == null) {
                    sink.idle();
                    message = reader.next(100);
                    if (message == null) {
                        continue;
                    }
                }
                assembler.accept(decoder.decode(message.duplicate()));
                reader.release(message);
            }
            completion.complete(null);
        } catch (InterruptedException e) {
            completion.complete(null);
        } catch (Throwable t) {
            if (running && (t instanceof CaptureException ce && ce.retryable()
                    || dev.syncline.server.storage.StorageFailures.fenced(t)
                    || dev.syncline.server.storage.StorageFailures.connectionLost(t))) {
                log.warn("change capture stopped: {}", t.getMessage()); // the supervisor retries
            } else if (running) {
                log.error("change capture stopped: {}", t.getMessage(), t);
            }
            completion.completeExceptionally(t);
        }
    }

    @Override
    public void close() {
        running = false;
        if (heartbeat != null) {
            heartbeat.close();
        }
        if (captureThread != null) {
            captureThread.interrupt();
            try {
                captureThread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (reader != null) {
            reader.close();
        }
        if (catalogConnection != null) {
            try {
                catalogConnection.close();
            } catch (SQLException e) {
                log.debug("closing catalog connection: {}", e.toString());
            }
        }
        completion.complete(null);
    }
}
