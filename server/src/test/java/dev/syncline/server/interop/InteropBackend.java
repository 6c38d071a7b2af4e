package dev.syncline.server.interop;

import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.http.AuthenticatedUser;
import dev.syncline.server.http.SyncBackend;
import dev.syncline.server.sync.BucketDataSource;
import dev.syncline.server.sync.CheckpointFeed;
import dev.syncline.server.sync.ConnectionCheckpoint;
import dev.syncline.protocol.OpChecksum;
import dev.syncline.server.sync.ConnectionScope;
import dev.syncline.server.sync.GenerationFeed;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Hand-written backend for the interop test: op logs in memory with PowerSync's real per-op
 * checksums (PROTOCOL.md §2), a generation-counting feed, fixed bucket grants per user, and a
 * record of every sync request the client made.
 */
final class InteropBackend implements SyncBackend, BucketDataSource {
    private final Map<String, List<OplogEntry>> logs = new HashMap<>();
    private final Map<String, List<String>> grants = new HashMap<>();
    final List<StreamingSyncRequest> requests = new CopyOnWriteArrayList<>();
    private long nextOpId = 1;
    private final GenerationFeed feed = new GenerationFeed();

    synchronized void grant(String userId, String... buckets) {
        grants.put(userId, List.of(buckets));
    }

    /** Appends a PUT of a full row (data is the row's JSON, including {@code id}). */
    synchronized long put(String bucket, String table, String id, String data) {
        return append(bucket, new OplogEntry(nextOpId, OplogEntry.Op.PUT, table, id, null, data,
                OpChecksum.put(table, id, data)));
    }

    /** Appends a REMOVE; subkey-less rows, so the hashed key is the row key (any deterministic value works). */
    synchronized long remove(String bucket, String table, String id) {
        return append(bucket, new OplogEntry(nextOpId, OplogEntry.Op.REMOVE, table, id, null, null,
                OpChecksum.remove(table + "." + id)));
    }

    private long append(String bucket, OplogEntry op) {
        logs.computeIfAbsent(bucket, b -> new ArrayList<>()).add(op);
        return nextOpId++;
    }

    /** Makes everything appended so far visible to connected clients as one checkpoint. */
    void publish() {
        feed.bump();
    }


    @Override public BucketDataSource data() { return this; }
    @Override public CheckpointFeed feed() { return feed; }
    @Override public boolean ready() { return true; }

    @Override
    public ConnectionScope scope(AuthenticatedUser user, StreamingSyncRequest request) {
        requests.add(request);
        return () -> {
            synchronized (this) {
                Map<String, Integer> buckets = new LinkedHashMap<>();
                grants.getOrDefault(user.userId(), List.of()).forEach(b -> buckets.put(b, 3));
                long opId = nextOpId - 1;
                return new ConnectionCheckpoint(opId, null, buckets, bucketStates(opId, buckets.keySet()));
            }
        };
    }

    /** States as a storage view reports them with its checkpoint. */
    synchronized Map<String, BucketState> bucketStates(long checkpoint, Collection<String> buckets) {
        Map<String, BucketState> out = new HashMap<>();
        for (String b : buckets) {
            long sum = 0;
            long count = 0;
            long last = 0;
            for (OplogEntry op : logs.getOrDefault(b, List.of())) {
                if (op.opId() <= checkpoint) {
                    sum = (sum + op.checksum()) & 0xFFFF_FFFFL;
                    count++;
                    last = op.opId();
                }
            }
            if (count > 0) {
                out.put(b, new BucketState(sum, count, last));
            }
        }
        return out;
    }

    @Override
    public synchronized List<OplogEntry> ops(String bucket, long after, long upTo, int limit) {
        return logs.getOrDefault(bucket, List.of()).stream()
                .filter(op -> op.opId() > after && op.opId() <= upTo).limit(limit).toList();
    }


}
