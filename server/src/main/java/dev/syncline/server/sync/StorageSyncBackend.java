package dev.syncline.server.sync;

import dev.syncline.server.errors.ServerError;
import dev.syncline.protocol.OpId;
import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.rules.PreparedRequest;
import dev.syncline.rules.RequestContext;
import dev.syncline.rules.BucketSelection;
import dev.syncline.rules.SyncRulesLimitException;
import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.server.storage.ParameterValuesCodec;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.OpRange;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.SourceXid;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The sync API over bucket storage and the sync rules: each connection's scope is evaluated from
 * one consistent storage view (checkpoint, parameter lookups, checksums), so what a client is
 * told always belongs to exactly one checkpoint; revoked access disappears at the next one.
 *
 * <p>Each evaluation also records what it depended on (its buckets, the lookup keys the rules
 * read, its write-checkpoint counter), and storage says what each checkpoint changed, so a
 * connection is only evaluated again when one of those changed (see {@link Interest}).
 */
public final class StorageSyncBackend implements SyncBackend, AutoCloseable {
    /** How stale a cached op count may get after compaction (checksums are always exact). */
    private static final Duration REFRESH_FULL_STATE = Duration.ofMinutes(1);
    /**
     * A data phase reads through one view, but reopens it after this long: an open SQLite read
     * transaction stops the WAL from being checkpointed, and a slow client must not hold it for minutes.
     */
    private static final Duration MAX_VIEW_AGE = Duration.ofMillis(500);
    private final BucketStorage storage;
    private final SyncRulesPlan plan;
    private final WriteCheckpoints writeCheckpoints;
    private final AutoCloseable subscription;
    private final AutoCloseable writeCheckpointSubscription;
    private final GenerationFeed feed;
    private final boolean ownsFeed;
    /**
     * Every op of this storage is above this id (0 for a storage that was never rebuilt): a client
     * whose position in a bucket is below it holds an earlier storage generation's ops there, so
     * its data starts with a CLEAR (see {@link #withClear}).
     */
    private final long baseOpId;
    /** Checksums shared by all connections; ~100 bytes a bucket, so at most ~20 MB. */
    private final BucketStateCache states = new BucketStateCache(200_000, REFRESH_FULL_STATE.toNanos(), System::nanoTime);

    public StorageSyncBackend(BucketStorage storage, SyncRulesPlan plan, WriteCheckpoints writeCheckpoints) {
        this(storage, plan, writeCheckpoints, new GenerationFeed(), true, OpId.ZERO);
    }

    /**
     * One storage generation of several served in turn: changes are published to the shared
     * {@code feed} (which this backend does not close), and clients holding ops at or below
     * {@code baseOpId} (an earlier generation's) get each bucket reset by a CLEAR first.
     */
    public StorageSyncBackend(BucketStorage storage, SyncRulesPlan plan, WriteCheckpoints writeCheckpoints,
                              GenerationFeed feed, OpId baseOpId) {
        this(storage, plan, writeCheckpoints, feed, false, baseOpId);
    }

    private StorageSyncBackend(BucketStorage storage, SyncRulesPlan plan, WriteCheckpoints writeCheckpoints,
                               GenerationFeed feed, boolean ownsFeed, OpId baseOpId) {
        this.feed = feed;
        this.ownsFeed = ownsFeed;
        this.baseOpId = baseOpId.value();
        this.storage = storage;
        this.plan = plan;
        this.writeCheckpoints = writeCheckpoints;
        // Listeners run on the writer thread: publish and return, never block.
        this.subscription = storage.checkpoints().subscribeWithChanges(
                (checkpoint, changes) -> feed.publish(Interest.topicsOf(changes)));
        this.writeCheckpointSubscription = writeCheckpoints.subscribe(
                (userId, clientId) -> feed.publish(Set.of(Interest.writeCheckpointTopic(userId, clientId))));
    }

    @Override
    public boolean ready() {
        return storage.checkpoints().latest().isPresent();
    }

    @Override
    public BucketDataSource data() {
        return new BucketDataSource() {
            @Override
            public List<OplogEntry> ops(String bucket, long after, long upTo, int limit) {
                try (ReadView view = storage.reader().open()) {
                    return withClear(view, bucket, after, upTo, limit);
                }
            }

            @Override
            public List<SourceXid> sourceXids(long after, long upTo) {
                try (ReadView view = storage.reader().open()) {
                    return view.sourceXids(new OpId(after), new OpId(upTo));
                }
            }

            @Override
            public Reader reader() {
                return new ViewReader();
            }
        };
    }

    /**
     * One view for many chunks (ops at or below the checkpoint are the same in any later view, so
     * swapping it for a newer one midway is safe), where storage views may be held between reads;
     * otherwise (PostgreSQL storage, {@link dev.syncline.server.storage.BucketReader#holdViews()})
     * one per read, so a client slow to take the lines read never holds a read connection.
     */
    private final class ViewReader implements BucketDataSource.Reader {
        private final boolean hold = storage.reader().holdViews();
        private ReadView view;
        private long openedAt;

        @Override
        public List<OplogEntry> ops(String bucket, long after, long upTo, int limit) {
            return read(v -> withClear(v, bucket, after, upTo, limit));
        }

        @Override
        public List<SourceXid> sourceXids(long after, long upTo) {
            return read(v -> v.sourceXids(new OpId(after), new OpId(upTo)));
        }

        @Override
        public long compactedUpTo(String bucket) {
            return read(v -> v.compactedUpTo(bucket));
        }

        /** One read on the held view, or on a view of its own when views are not held between reads. */
        private <T> T read(java.util.function.Function<ReadView, T> work) {
            try {
                return work.apply(view());
            } finally {
                if (!hold) {
                    close();
                }
            }
        }

        private ReadView view() {
            long now = System.nanoTime();
            if (view != null && now - openedAt > MAX_VIEW_AGE.toNanos()) {
                close();
            }
            if (view == null) {
                view = storage.reader().open();
                openedAt = now;
            }
            return view;
        }

        @Override
        public void close() {
            if (view != null) {
                view.close();
                view = null;
            }
        }
    }

    /**
     * The ops after {@code after}; when {@code after} is below {@link #baseOpId} (the client holds
     * an earlier generation's ops of this bucket, or none), a CLEAR with id {@code baseOpId} and
     * checksum 0 comes first: the client drops what it held and ends with exactly this generation's
     * ops and checksum, applied at {@code checkpoint_complete} in one step — never an empty bucket
     * in between.
     */
    private List<OplogEntry> withClear(ReadView view, String bucket, long after, long upTo, int limit) {
        if (after >= baseOpId || upTo < baseOpId) {
            return entries(view.ops(bucket, new OpId(after), new OpId(upTo), limit));
        }
        List<OplogEntry> out = new ArrayList<>();
        out.add(new OplogEntry(baseOpId, OplogEntry.Op.CLEAR, null, null, null, null, 0));
        if (limit > 1) {
            out.addAll(entries(view.ops(bucket, new OpId(baseOpId), new OpId(upTo), limit - 1)));
        }
        return out;
    }

    @Override
    public CheckpointFeed feed() {
        return feed;
    }

    private static List<OplogEntry> entries(List<BucketOp> ops) {
        List<OplogEntry> out = new ArrayList<>(ops.size());
        for (BucketOp op : ops) {
            out.add(switch (op) {
                case BucketOp.Put p -> new OplogEntry(p.opId().value(), OplogEntry.Op.PUT, p.objectType(),
                        p.objectId(), p.subkey(), p.dataJson(), p.checksum());
                case BucketOp.Remove r -> new OplogEntry(r.opId().value(), OplogEntry.Op.REMOVE, r.objectType(),
                        r.objectId(), r.subkey(), null, r.checksum());
                case BucketOp.Move m -> new OplogEntry(m.opId().value(), OplogEntry.Op.MOVE, null, null, null, null,
                        m.checksum());
                case BucketOp.Clear c -> new OplogEntry(c.opId().value(), OplogEntry.Op.CLEAR, null, null, null, null,
                        c.checksum());
            });
        }
        return out;
    }

    @Override
    public ConnectionScope scope(AuthenticatedUser user, StreamingSyncRequest request) {
        PreparedRequest context = plan.prepare(new RequestContext(user.userId(), user.claimsJson(), request.parametersJson()));
        return () -> {
            try (ReadView view = storage.reader().open()) {
                Optional<Checkpoint> checkpoint = view.checkpoint();
                if (checkpoint.isEmpty()) {
                    throw new SyncException(ServerError.SYNC_R1004, "the server is still copying its initial data; retry shortly");
                }
                Set<String> topics = new HashSet<>();
                BucketSelection selection;
                try {
                    selection = plan.selectBuckets(context, request.streams().includeDefaults(),
                            StreamListing.subscriptions(request.streams()), key -> {
                        String serialized = key.serialize();
                        topics.add(Interest.lookupTopic(serialized));
                        return view.parameterValues(serialized).stream().map(ParameterValuesCodec::decode).toList();
                    });
                } catch (SyncRulesLimitException e) {
                    throw new SyncException(ServerError.PSYNC_S2305, e.getMessage());
                }
                long opId = checkpoint.get().lastOpId().value();
                BucketStateCache.Loader loader = new BucketStateCache.Loader() {
                    @Override
                    public OpRange stateAt(String bucket, long upTo) {
                        return view.stateAt(bucket, new OpId(upTo));
                    }

                    @Override
                    public OpRange opRange(String bucket, long after, long upTo) {
                        return view.opRange(bucket, new OpId(after), new OpId(upTo));
                    }
                };
                StreamListing.Result listed = StreamListing.list(selection);
                Map<String, Integer> buckets = listed.buckets();
                Map<String, BucketDataSource.BucketState> bucketStates = new HashMap<>();
                for (String bucket : buckets.keySet()) {
                    BucketDataSource.BucketState state = states.get(bucket, opId, loader);
                    if (state.lastOpId() != BucketDataSource.BucketState.UNKNOWN_LAST_OP_ID
                            && Long.compareUnsigned(state.lastOpId(), baseOpId) < 0) {
                        // even an empty bucket has its CLEAR for clients of an earlier generation
                        state = new BucketDataSource.BucketState(state.checksum(), state.count(), baseOpId);
                    }
                    bucketStates.put(bucket, state);
                    topics.add(bucket);
                }
                Long writeCheckpoint = writeCheckpoints.reached(user.userId(), request.clientId(),
                        checkpoint.get().position()).orElse(null);
                boolean waitingForWriteCheckpoint = false;
                if (request.clientId() != null) {
                    topics.add(Interest.writeCheckpointTopic(user.userId(), request.clientId()));
                    long handedOut = writeCheckpoints.latest(user.userId(), request.clientId());
                    waitingForWriteCheckpoint = handedOut > (writeCheckpoint == null ? 0 : writeCheckpoint);
                }
                return new ConnectionCheckpoint(opId, writeCheckpoint, buckets, bucketStates,
                        new Interest(topics, waitingForWriteCheckpoint), listed.streams(), listed.reasons());
            }
        };
    }

    @Override
    public void close() throws Exception {
        subscription.close();
        writeCheckpointSubscription.close();
        if (ownsFeed) {
            feed.close();
        }
    }
}
