package dev.syncline.server.sync;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.server.storage.OpRange;

import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Bucket states (checksum, op count, newest op id) per checkpoint, shared by every connection of a
 * node. A bucket's entry remembers its state at the newest checkpoint asked for; moving it to a
 * later checkpoint costs one range read of the ops in between, done once for all connections that
 * hold the bucket, instead of each connection reading each of its buckets at every checkpoint.
 *
 * <p>Why incremental sums stay exact: ops at or below a checkpoint never change their checksums,
 * except that compaction may fold a prefix of them into one CLEAR carrying their sum. A CLEAR at or
 * below the cached checkpoint leaves that total unchanged; one inside the range read would count
 * the folded ops twice, so such a range falls back to a full state read. Op counts do shrink when
 * compaction deletes ops, so an entry is re-read in full once it is older than {@code refreshNanos}:
 * counts (used by clients for progress only) lag compaction by at most that long; checksums never.
 *
 * <p>Bounded: at most {@code maxEntries} buckets; beyond that, an arbitrary eighth is dropped
 * (a dropped bucket costs one full read the next time). Thread-safe; loads run outside any lock, so
 * two connections may occasionally load the same bucket at once — both get the same answer.
 */
public final class BucketStateCache {

    /** How the cache reads storage, from one view whose checkpoint is the op id asked for. */
    public interface Loader {
        /** The bucket's exact state at {@code opId} ({@code hasClear} ignored). */
        OpRange stateAt(String bucket, long opId);

        /** The bucket's ops with {@code after < op_id <= upTo}, summed. */
        OpRange opRange(String bucket, long after, long upTo);
    }

    private record Entry(long opId, BucketDataSource.BucketState state, long loadedFullAt) {}

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final int maxEntries;
    private final long refreshNanos;
    private final LongSupplier nanoTime;
    private final LongAdder hits = new LongAdder();
    private final LongAdder rangeReads = new LongAdder();
    private final LongAdder fullReads = new LongAdder();

    public BucketStateCache(int maxEntries, long refreshNanos, LongSupplier nanoTime) {
        if (maxEntries < 8) {
            throw new IllegalArgumentException("maxEntries must be at least 8, was " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.refreshNanos = refreshNanos;
        this.nanoTime = nanoTime;
    }

    /** The state of {@code bucket} at checkpoint {@code opId}, loading through {@code loader} on a miss. */
    public BucketDataSource.BucketState get(String bucket, long opId, Loader loader) {
        Entry cached = entries.get(bucket);
        if (cached != null && cached.opId == opId) {
            hits.increment();
            return cached.state;
        }
        long now = nanoTime.getAsLong();
        Entry fresh = null;
        if (cached != null && cached.opId < opId && now - cached.loadedFullAt < refreshNanos) {
            OpRange range = loader.opRange(bucket, cached.opId, opId);
            rangeReads.increment();
            if (!range.hasClear()) {
                BucketDataSource.BucketState was = cached.state;
                fresh = new Entry(opId, new BucketDataSource.BucketState(OpChecksum.add(was.checksum(), range.checksum()),
                        was.count() + range.count(), range.count() > 0 ? range.lastOpId() : was.lastOpId()),
                        cached.loadedFullAt);
            }
        }
        if (fresh == null) {
            OpRange full = loader.stateAt(bucket, opId);
            fullReads.increment();
            fresh = new Entry(opId, new BucketDataSource.BucketState(full.checksum(), full.count(), full.lastOpId()), now);
        }
        Entry stored = fresh;
        // Keep the newest checkpoint's entry: a connection on an older view must not move it back.
        entries.merge(bucket, stored, (old, neu) -> neu.opId >= old.opId ? neu : old);
        if (entries.size() > maxEntries) {
            evict();
        }
        return stored.state;
    }

    private void evict() {
        int target = maxEntries - maxEntries / 8;
        Iterator<String> keys = entries.keySet().iterator();
        while (entries.size() > target && keys.hasNext()) {
            keys.next();
            keys.remove();
        }
    }

    /** Buckets held now. */
    public int size() {
        return entries.size();
    }

    /** Lookups answered without reading storage. */
    public long hits() {
        return hits.sum();
    }

    /** Range reads that moved an entry to a later checkpoint. */
    public long rangeReads() {
        return rangeReads.sum();
    }

    /** Full state reads (first use, after eviction or a CLEAR in the range, periodic refresh). */
    public long fullReads() {
        return fullReads.sum();
    }
}
