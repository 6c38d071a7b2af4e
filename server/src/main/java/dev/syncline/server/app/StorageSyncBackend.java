package dev.syncline.server.app;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.rules.RequestContext;
import dev.syncline.rules.ResolvedBucket;
import dev.syncline.rules.SyncRulesLimitException;
import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.server.http.AuthenticatedUser;
import dev.syncline.server.http.SyncBackend;
import dev.syncline.server.storage.BucketChecksum;
import dev.syncline.server.storage.BucketOp;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.sync.BucketDataSource;
import dev.syncline.server.sync.CheckpointFeed;
import dev.syncline.server.sync.ConnectionCheckpoint;
import dev.syncline.server.sync.ConnectionScope;
import dev.syncline.server.sync.GenerationFeed;
import dev.syncline.server.sync.SyncException;
import dev.syncline.server.sync.WriteCheckpoints;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sync API over bucket storage and the sync rules: each connection's scope is evaluated from
 * one consistent storage view (checkpoint, parameter lookups, checksums), so what a client is
 * told always belongs to exactly one checkpoint; revoked access disappears at the next one.
 */
final class StorageSyncBackend implements SyncBackend, AutoCloseable {
    private final BucketStorage storage;
    private final SyncRulesPlan plan;
    private final WriteCheckpoints writeCheckpoints;
    private final AutoCloseable subscription;
    private final GenerationFeed feed = new GenerationFeed();

    StorageSyncBackend(BucketStorage storage, SyncRulesPlan plan, WriteCheckpoints writeCheckpoints) {
        this.storage = storage;
        this.plan = plan;
        this.writeCheckpoints = writeCheckpoints;
        // Listeners run on the writer thread: bump and notify, never block.
        this.subscription = storage.checkpoints().subscribe(checkpoint -> feed.bump());
    }



    @Override
    public boolean ready() {
        return storage.checkpoints().latest().isPresent();
    }

    @Override
    public BucketDataSource data() {
        return this::ops;
    }

    @Override
    public CheckpointFeed feed() {
        return feed;
    }

    private List<OplogEntry> ops(String bucket, long after, long upTo, int limit) {
        try (ReadView view = storage.reader().open()) {
            List<BucketOp> ops = view.ops(bucket, new OpId(after), new OpId(upTo), limit);
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
    }

    @Override
    public ConnectionScope scope(AuthenticatedUser user, StreamingSyncRequest request) {
        RequestContext context = new RequestContext(user.userId(), user.claimsJson(), request.parametersJson());
        return () -> {
            try (ReadView view = storage.reader().open()) {
                Optional<Checkpoint> checkpoint = view.checkpoint();
                if (checkpoint.isEmpty()) {
                    throw new SyncException("SYNC_R1004", 503, "the server is still copying its initial data; retry shortly");
                }
                List<ResolvedBucket> resolved;
                try {
                    resolved = plan.queryBuckets(context, key -> view.parameterValues(key.serialize()).stream()
                            .map(ParameterValuesCodec::decode).toList());
                } catch (SyncRulesLimitException e) {
                    throw new SyncException("PSYNC_S2305", 400, e.getMessage());
                }
                Map<String, Integer> buckets = new HashMap<>();
                Map<String, BucketDataSource.BucketState> states = new HashMap<>();
                for (ResolvedBucket b : resolved) {
                    buckets.put(b.bucket(), b.priority());
                    BucketChecksum c = view.checksum(b.bucket());
                    states.put(b.bucket(), new BucketDataSource.BucketState(c.checksum(), c.count(),
                            BucketDataSource.BucketState.UNKNOWN_LAST_OP_ID));
                }
                Long writeCheckpoint = writeCheckpoints.reached(user.userId(), request.clientId(),
                        checkpoint.get().lsn()).orElse(null);
                return new ConnectionCheckpoint(checkpoint.get().lastOpId().value(), writeCheckpoint, buckets, states);
            }
        };
    }

    @Override
    public void close() throws Exception {
        subscription.close();
    }
}
