package dev.syncline.server.interop;

import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.sync.SyncBackend;
import dev.syncline.server.sync.BucketDataSource;
import dev.syncline.server.sync.CheckpointFeed;
import dev.syncline.server.sync.ConnectionCheckpoint;
import dev.syncline.protocol.OpChecksum;
import dev.syncline.server.sync.ConnectionScope;
import dev.syncline.server.sync.GenerationFeed;
import dev.syncline.server.sync.InMemoryBuckets;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Hand-written backend for the interop test: op logs in memory with PowerSync's real per-op
 * checksums (PROTOCOL.md §2), a generation-counting feed, fixed bucket grants per user, and a
 * record of every sync request the client made.
 */
final class InteropBackend implements SyncBackend {
    private final InMemoryBuckets logs = new InMemoryBuckets();
    private final Map<String, List<String>> grants = new HashMap<>();
    final List<StreamingSyncRequest> requests = new CopyOnWriteArrayList<>();
    private final GenerationFeed feed = new GenerationFeed();
    /** Bucket → how many of the next connections get a wrong checksum for it. */
    private final Map<String, Integer> corruptions = new HashMap<>();

    synchronized void grant(String userId, String... buckets) {
        grants.put(userId, List.of(buckets));
    }

    /** Appends a PUT of a full row (data is the row's JSON, including {@code id}). */
    long put(String bucket, String table, String id, String data) {
        return logs.append(bucket, opId -> new OplogEntry(opId, OplogEntry.Op.PUT, table, id, null, data,
                OpChecksum.put(table, id, data)));
    }

    /** Appends a REMOVE; subkey-less rows, so the hashed key is the row key (any deterministic value works). */
    long remove(String bucket, String table, String id) {
        return logs.append(bucket, opId -> new OplogEntry(opId, OplogEntry.Op.REMOVE, table, id, null, null,
                OpChecksum.remove(table + "." + id)));
    }

    /**
     * The next {@code connections} sync connections are told a checksum for {@code bucket} one
     * higher than the sum of the ops they receive, as a server with a corrupted op log would; the
     * ops themselves are served unchanged.
     */
    synchronized void corruptChecksum(String bucket, int connections) {
        corruptions.put(bucket, connections);
    }

    /** Makes everything appended so far visible to connected clients as one checkpoint. */
    void publish() {
        feed.bump();
    }


    @Override public BucketDataSource data() { return logs; }
    @Override public CheckpointFeed feed() { return feed; }
    @Override public boolean ready() { return true; }

    @Override
    public ConnectionScope scope(AuthenticatedUser user, StreamingSyncRequest request) {
        requests.add(request);
        Set<String> corrupted = new HashSet<>();
        synchronized (this) {
            corruptions.replaceAll((bucket, left) -> {
                if (left > 0) {
                    corrupted.add(bucket);
                }
                return Math.max(0, left - 1);
            });
        }
        return () -> {
            synchronized (this) {
                Map<String, Integer> buckets = new LinkedHashMap<>();
                grants.getOrDefault(user.userId(), List.of()).forEach(b -> buckets.put(b, 3));
                long opId = logs.lastOpId();
                Map<String, BucketDataSource.BucketState> states = new HashMap<>(logs.bucketStates(opId, buckets.keySet()));
                states.replaceAll((bucket, s) -> corrupted.contains(bucket)
                        ? new BucketDataSource.BucketState((s.checksum() + 1) & 0xffffffffL, s.count(), s.lastOpId()) : s);
                return new ConnectionCheckpoint(opId, null, buckets, states);
            }
        };
    }



}
