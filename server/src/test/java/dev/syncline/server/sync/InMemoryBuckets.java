package dev.syncline.server.sync;

import dev.syncline.protocol.sync.OplogEntry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A hand-written {@link BucketDataSource}: op logs in lists, for producer tests. */
public final class InMemoryBuckets implements BucketDataSource {
    final Map<String, List<OplogEntry>> logs = new HashMap<>();
    public long nextOpId = 1;
    int opsCalls;

    /** Appends the op built for the next op id; returns that id. */
    public synchronized long append(String bucket, java.util.function.LongFunction<OplogEntry> op) {
        long opId = nextOpId++;
        logs.computeIfAbsent(bucket, b -> new ArrayList<>()).add(op.apply(opId));
        return opId;
    }

    /** A PUT with a cheap stand-in checksum (the producer only adds checksums up). */
    public long put(String bucket, String id, String data) {
        return append(bucket, opId -> new OplogEntry(opId, OplogEntry.Op.PUT, "todos", id, null, data,
                (opId * 2654435761L) & 0xFFFF_FFFFL));
    }

    public long remove(String bucket, String id) {
        return append(bucket, opId -> new OplogEntry(opId, OplogEntry.Op.REMOVE, "todos", id, null, null,
                (opId * 40503L) & 0xFFFF_FFFFL));
    }

    public synchronized long lastOpId() {
        return nextOpId - 1;
    }

    /** States as a storage view would report them at {@code checkpoint}. */
    public synchronized Map<String, BucketState> bucketStates(long checkpoint, Collection<String> buckets) {
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
        opsCalls++;
        return logs.getOrDefault(bucket, List.of()).stream()
                .filter(op -> op.opId() > after && op.opId() <= upTo).limit(limit).toList();
    }
}
