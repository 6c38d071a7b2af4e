package dev.syncline.server.interop;

import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.http.AuthenticatedUser;
import dev.syncline.server.http.SyncBackend;
import dev.syncline.server.sync.BucketDataSource;
import dev.syncline.server.sync.CheckpointFeed;
import dev.syncline.server.sync.ConnectionCheckpoint;
import dev.syncline.server.sync.ConnectionScope;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
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
final class InteropBackend implements SyncBackend, CheckpointFeed, BucketDataSource {
    private final Map<String, List<OplogEntry>> logs = new HashMap<>();
    private final Map<String, List<String>> grants = new HashMap<>();
    final List<StreamingSyncRequest> requests = new CopyOnWriteArrayList<>();
    private long nextOpId = 1;
    private long generation;

    synchronized void grant(String userId, String... buckets) {
        grants.put(userId, List.of(buckets));
    }

    /** Appends a PUT of a full row (data is the row's JSON, including {@code id}). */
    synchronized long put(String bucket, String table, String id, String data) {
        return append(bucket, new OplogEntry(nextOpId, OplogEntry.Op.PUT, table, id, null, data,
                checksum("put." + table + "." + id + "." + data)));
    }

    /** Appends a REMOVE; subkey-less rows, so the hashed key is the row key (any deterministic value works). */
    synchronized long remove(String bucket, String table, String id) {
        return append(bucket, new OplogEntry(nextOpId, OplogEntry.Op.REMOVE, table, id, null, null,
                checksum("delete." + table + "." + id)));
    }

    private long append(String bucket, OplogEntry op) {
        logs.computeIfAbsent(bucket, b -> new ArrayList<>()).add(op);
        return nextOpId++;
    }

    /** Makes everything appended so far visible to connected clients as one checkpoint. */
    synchronized void publish() {
        generation++;
        notifyAll();
    }

    /** First 4 bytes, little-endian, of SHA-256 — PowerSync's per-op checksum. */
    static long checksum(String key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return (h[0] & 0xFFL) | (h[1] & 0xFFL) << 8 | (h[2] & 0xFFL) << 16 | (h[3] & 0xFFL) << 24;
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Override public BucketDataSource data() { return this; }
    @Override public CheckpointFeed feed() { return this; }
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

    @Override
    public synchronized long generation() {
        return generation;
    }

    @Override
    public synchronized long awaitChange(long seen, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (generation <= seen) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return generation;
    }
}
