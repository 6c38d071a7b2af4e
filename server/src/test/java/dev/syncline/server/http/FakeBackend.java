package dev.syncline.server.http;

import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.sync.SyncBackend;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.sync.BucketDataSource;
import dev.syncline.server.sync.CheckpointFeed;
import dev.syncline.server.sync.ConnectionCheckpoint;
import dev.syncline.server.sync.ConnectionScope;
import dev.syncline.server.sync.GenerationFeed;
import dev.syncline.server.sync.InMemoryBuckets;
import dev.syncline.server.sync.SyncException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Hand-written backend for transport tests: in-memory buckets, a notify-based feed, per-user buckets. */
final class FakeBackend implements SyncBackend {
    final InMemoryBuckets buckets = new InMemoryBuckets();
    final Map<String, List<String>> grants = new HashMap<>();
    private final GenerationFeed feed = new GenerationFeed();
    volatile boolean ready = true;
    /** When set, every scope evaluation fails with it (an internal fault, e.g. storage or the database). */
    volatile RuntimeException scopeFailure;

    void publish() {
        feed.bump();
    }

    @Override public BucketDataSource data() { return buckets; }
    @Override public CheckpointFeed feed() { return feed; }
    @Override public boolean ready() { return ready; }

    @Override
    public ConnectionScope scope(AuthenticatedUser user, StreamingSyncRequest request) {
        return () -> {
            if (scopeFailure != null) {
                throw scopeFailure;
            }
            List<String> granted = grants.getOrDefault(user.userId(), List.of());
            if (granted.size() > 2) {
                throw new SyncException("SYNC_B1001", 400, "too many buckets for user " + user.userId());
            }
            Map<String, Integer> map = new HashMap<>();
            granted.forEach(b -> map.put(b, 3));
            synchronized (this) {
                long opId = buckets.nextOpId - 1;
                return new ConnectionCheckpoint(opId, null, map, buckets.bucketStates(opId, map.keySet()));
            }
        };
    }


}
