package dev.syncline.server.shape;

import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.storage.SourceXid;
import dev.syncline.server.sync.BucketDataSource;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One shape handle's log: the rows of its table held by the user's buckets, as of {@link #offset()}
 * (a checkpoint op id and the granted buckets, {@link ShapeOffset}), and the changes of its last few
 * advances so a client may resume at any of the recent offsets it was given.
 *
 * <p>{@link #advance} moves the log to a newer checkpoint and bucket set. A bucket the grant still
 * holds is read from the last offset on (its new ops), a bucket newly granted is read whole, a
 * bucket no longer granted is dropped; only the rows those touch are compared before and after,
 * each as the union over the granted buckets (the newest op wins where several hold it), narrowed
 * by the where clause and projected to the requested columns. So a grant change arrives as inserts
 * and deletes, never as a refetch. A bucket whose new ops start with a CLEAR (compaction folded ops
 * this log had not read yet) is read whole again and compared the same way.
 *
 * <p>Not thread-safe: {@link ShapeLogs} serialises access to each log.
 */
public final class ShapeLog {
    static final int CHUNK = 2_000;
    /** Resumable offsets are kept while their changes together stay below this many messages. */
    static final int MAX_HISTORY_CHANGES = 20_000;
    static final int MAX_HISTORY_STEPS = 256;

    /** What a shape is: its table, columns and types, filter and replica mode. */
    public record Definition(ShapeTable table, ShapeSchema schema, WhereClause where, boolean replicaFull) {}

    /** One stored row version of a bucket. */
    private record Version(String subkey, long opId, String dataJson) {}

    /** Changes that took the log from {@code from} to {@code to}. */
    private record Step(ShapeOffset from, ShapeOffset to, List<ShapeChange> changes) {}

    private final String handle;
    private final Definition definition;
    /** bucket → row id → versions (one per subkey). */
    private final Map<String, Map<String, List<Version>>> buckets = new HashMap<>();
    private final Deque<Step> history = new ArrayDeque<>();
    private int historyChanges;
    /** The checkpoint op id the buckets were read up to; -1 before the first advance. */
    private long opId = -1;
    /** The log's position; null before the first advance. */
    private ShapeOffset offset;
    private volatile long rowCount;
    /** Set when a compaction raced a {@link #catchUp}: the rows may be wrong, so the log serves no offset. */
    private boolean broken;

    public ShapeLog(String handle, Definition definition) {
        this.handle = handle;
        this.definition = definition;
    }

    public String handle() {
        return handle;
    }

    public Definition definition() {
        return definition;
    }

    /** The log's position (see {@link ShapeOffset}); null before the first advance. */
    public ShapeOffset offset() {
        return offset;
    }

    /** Row versions held (a measure of the log's memory). */
    public long size() {
        return rowCount;
    }

    /**
     * A log for {@code handle} holding the shape's rows as of {@code at}, read from storage: how a
     * node serves a handle and offset another node (or this one before a restart) handed out. Advance
     * it to {@code checkpoint} next; {@link #changesSince} then gives the changes after {@code at}.
     *
     * <p>The rows at {@code at} are the ops at or below its op id of the buckets granted now, which
     * must be the buckets granted then: the offset carries only their fingerprint. Compaction may
     * have changed what storage holds at or below that op id: a PUT superseded after it became a
     * MOVE, a prefix became a CLEAR. A row keeps its version as of {@code at} unless it changed
     * after {@code at}, and only by a compaction that ran after that change ({@link
     * BucketDataSource.Reader#compactedUpTo} at or above it), so only such rows could read wrong:
     * when a bucket holds MOVEs or a CLEAR at or below {@code at}, each of them must show its
     * version as of {@code at} (the newest surviving op at or below it is then the true one; a row
     * with none cannot be told from one inserted since), and a CLEAR above {@code at} hides what
     * was there. The buckets' checksums at {@code checkpoint} must match the ops read, so a
     * compaction between the reads of one bucket is noticed too.
     *
     * @param checksums the granted buckets with their checksums at {@code checkpoint}
     * @throws ShapeException {@link ShapeErrorCode#SHAPE_R1002} when storage cannot tell the rows
     *                        as of {@code at}: the client must refetch
     */
    public static ShapeLog rebuild(String handle, Definition definition, ShapeOffset at, long checkpoint,
                                   Map<String, Long> checksums, BucketDataSource.Reader reader) {
        if (at.opId() > checkpoint) {
            throw unservable("offset " + at + " is past the latest checkpoint " + checkpoint);
        }
        if (ShapeOffset.grantOf(checksums.keySet()) != at.grant()) {
            throw unservable("the user's buckets changed since offset " + at);
        }
        ShapeLog log = new ShapeLog(handle, definition);
        String table = definition.table().clientTable();
        for (Map.Entry<String, Long> bucket : checksums.entrySet()) {
            List<OplogEntry> ops = readAll(reader, bucket.getKey(), 0, checkpoint);
            long sum = 0;
            boolean traces = false;
            Set<String> known = new HashSet<>();
            // row key → the op id of its first change after the offset
            Map<String, Long> changed = new HashMap<>();
            int upToOffset = 0;
            for (OplogEntry o : ops) {
                sum = dev.syncline.protocol.OpChecksum.add(sum, o.checksum());
                boolean row = (o.op() == OplogEntry.Op.PUT || o.op() == OplogEntry.Op.REMOVE)
                        && o.objectId() != null && table.equals(o.objectType());
                if (o.opId() <= at.opId()) {
                    upToOffset++;
                    traces |= o.op() == OplogEntry.Op.MOVE || o.op() == OplogEntry.Op.CLEAR;
                    if (row) {
                        known.add(rowKey(o));
                    }
                } else if (o.op() == OplogEntry.Op.CLEAR) {
                    throw unservable("bucket " + bucket.getKey() + " was compacted past offset " + at);
                } else if (row) {
                    changed.putIfAbsent(rowKey(o), o.opId());
                }
            }
            // Read after the ops: a compaction between them shows here (or in the checksum below).
            long compactedUpTo = reader.compactedUpTo(bucket.getKey());
            if (sum != dev.syncline.protocol.OpChecksum.wrap(bucket.getValue())) {
                throw unservable("bucket " + bucket.getKey() + " changed while it was read (compaction)");
            }
            if (traces && compactedUpTo > at.opId()) {
                for (Map.Entry<String, Long> row : changed.entrySet()) {
                    // its version as of the offset may be a MOVE now, superseded by this change
                    if (row.getValue() <= compactedUpTo && !known.contains(row.getKey())) {
                        throw unservable("bucket " + bucket.getKey() + " was compacted past offset " + at);
                    }
                }
            }
            Map<String, List<Version>> rows = new HashMap<>();
            log.apply(rows, ops.subList(0, upToOffset));
            log.buckets.put(bucket.getKey(), rows);
        }
        log.rowCount = log.buckets.values().stream().mapToLong(Map::size).sum();
        log.opId = at.opId();
        log.offset = at;
        return log;
    }

    private static String rowKey(OplogEntry o) {
        return o.objectId() + '\u0000' + (o.subkey() == null ? "" : o.subkey());
    }

    private static ShapeException unservable(String why) {
        return new ShapeException(ShapeErrorCode.SHAPE_R1002, why);
    }

    /**
     * Moves the log to {@code to}, an offset ahead of it that another log issued (another node's,
     * whose requests a load balancer alternates with this one's), so that {@link #changesSince}
     * knows it; cheaper than a {@link #rebuild}, as only the ops after the log's op id are read.
     * The ops up to {@code to} tell its rows unless a compaction ran after {@code to} (it may have
     * turned an op below {@code to} into a MOVE), so every bucket's {@code compactedUpTo} must be at
     * or below {@code to}'s op id, before the ops are read and after: when a compaction slipped in
     * between, the log is broken (it serves no offset any more) and false is returned.
     *
     * @param granted the buckets granted now: {@code to} must carry their fingerprint
     * @return whether the log is now at {@code to}; when false, rebuild instead
     */
    public boolean catchUp(ShapeOffset to, Collection<String> granted, BucketDataSource.Reader reader) {
        if (broken || offset == null || to.opId() < opId || ShapeOffset.grantOf(granted) != to.grant()
                || !compactedAtOrBelow(to.opId(), granted, reader)) {
            return false;
        }
        advance(to.opId(), granted, reader);
        if (!compactedAtOrBelow(to.opId(), granted, reader)) {
            broken = true;
            return false;
        }
        return to.equals(offset);
    }

    private static boolean compactedAtOrBelow(long opId, Collection<String> buckets, BucketDataSource.Reader reader) {
        for (String bucket : buckets) {
            if (reader.compactedUpTo(bucket) > opId) {
                return false;
            }
        }
        return true;
    }

    /**
     * Moves the log to {@code checkpoint} with the granted {@code granted} buckets, reading ops
     * through {@code reader}; returns the changes (empty when nothing in the shape changed, and after
     * the first advance, whose rows {@link #snapshot()} gives).
     */
    public List<ShapeChange> advance(long checkpoint, Collection<String> granted, BucketDataSource.Reader reader) {
        if (checkpoint < opId) {
            throw new IllegalStateException("checkpoint " + checkpoint + " is older than the log's " + opId);
        }
        Set<String> grant = Set.copyOf(granted);
        if (checkpoint == opId && grant.equals(buckets.keySet())) {
            return List.of();
        }
        ShapeOffset next = ShapeOffset.of(checkpoint, grant);
        Set<String> candidates = new HashSet<>();
        // row id → ids of this advance's ops on it (after the log's op id): where its txids come from
        Map<String, List<Long>> touched = new HashMap<>();
        Map<String, List<OplogEntry>> newOps = new HashMap<>();
        Map<String, Map<String, List<Version>>> reloaded = new HashMap<>();
        for (String bucket : grant) {
            Map<String, List<Version>> held = buckets.get(bucket);
            if (held != null) {
                List<OplogEntry> ops = readAll(reader, bucket, opId, checkpoint);
                if (ops.stream().anyMatch(o -> o.op() == OplogEntry.Op.CLEAR)) {
                    Map<String, List<Version>> whole = readBucket(reader, bucket, checkpoint, touched);
                    candidates.addAll(held.keySet());
                    candidates.addAll(whole.keySet());
                    reloaded.put(bucket, whole);
                } else {
                    for (OplogEntry o : ops) {
                        if (o.objectId() != null && definition.table().clientTable().equals(o.objectType())) {
                            candidates.add(o.objectId());
                            touched.computeIfAbsent(o.objectId(), k -> new ArrayList<>()).add(o.opId());
                        }
                    }
                    newOps.put(bucket, ops);
                }
            } else {
                Map<String, List<Version>> whole = readBucket(reader, bucket, checkpoint, touched);
                candidates.addAll(whole.keySet());
                reloaded.put(bucket, whole);
            }
        }
        for (Map.Entry<String, Map<String, List<Version>>> e : buckets.entrySet()) {
            if (!grant.contains(e.getKey())) {
                candidates.addAll(e.getValue().keySet());
            }
        }
        boolean initial = offset == null;
        Map<String, Map<String, SqlValue>> before = new HashMap<>();
        if (!initial) {
            for (String id : candidates) {
                Map<String, SqlValue> row = visible(id);
                if (row != null) {
                    before.put(id, row);
                }
            }
        }
        buckets.keySet().retainAll(grant);
        buckets.putAll(reloaded);
        newOps.forEach((bucket, ops) -> apply(buckets.get(bucket), ops));
        rowCount = buckets.values().stream().mapToLong(Map::size).sum();
        // Snapshot rows carry no txids (as Electric's); changes carry those of the ops that made them.
        List<SourceXid> xids = initial || touched.isEmpty() ? List.of() : reader.sourceXids(opId, checkpoint);
        // The first advance only loads the rows: its caller sends them with snapshot(), so rendering
        // them here as changes as well would parse and render every row twice.
        List<ShapeChange> changes = new ArrayList<>();
        for (String id : initial ? List.<String>of() : candidates) {
            ShapeChange c = diff(id, before.get(id), visible(id));
            if (c != null) {
                List<Long> opIds = touched.get(id);
                changes.add(opIds == null || xids.isEmpty() ? c : c.withTxids(TxidLookup.xidsOf(opIds, xids)));
            }
        }
        if (!initial) {
            remember(new Step(offset, next, List.copyOf(changes)));
        }
        offset = next;
        opId = checkpoint;
        return changes;
    }

    /**
     * Every row of the shape now, as inserts (a snapshot at {@link #offset()}), in row-id order.
     * Only references to the rows' newest stored versions are taken here (cheap, under the caller's
     * lock); each row is parsed, filtered and rendered when the result is iterated, so a response
     * can stream a large shape after the lock is released without holding it all as messages.
     */
    public Iterable<ShapeChange> snapshot() {
        Map<String, Version> newest = new HashMap<>();
        for (Map<String, List<Version>> b : buckets.values()) {
            for (Map.Entry<String, List<Version>> row : b.entrySet()) {
                for (Version v : row.getValue()) {
                    newest.merge(row.getKey(), v, (x, y) -> y.opId > x.opId ? y : x);
                }
            }
        }
        List<String> ids = sorted(newest.keySet());
        List<String> data = new ArrayList<>(ids.size());
        for (String id : ids) {
            data.add(newest.get(id).dataJson);
        }
        return () -> new java.util.Iterator<>() {
            private int i;
            private ShapeChange next = advanceTo();

            private ShapeChange advanceTo() {
                while (i < ids.size()) {
                    String id = ids.get(i);
                    String json = data.get(i++);
                    ShapeChange c = json == null ? null : diff(id, null, filtered(SyncedRows.parse(json)));
                    if (c != null) {
                        return c;
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public ShapeChange next() {
                if (next == null) {
                    throw new java.util.NoSuchElementException();
                }
                ShapeChange out = next;
                next = advanceTo();
                return out;
            }
        };
    }

    /** A few of the shape's rows, for the schema header's inferred types. */
    public List<Map<String, SqlValue>> sample(int max) {
        List<Map<String, SqlValue>> out = new ArrayList<>();
        for (Map<String, List<Version>> b : buckets.values()) {
            for (String id : b.keySet()) {
                if (out.size() >= max) {
                    return out;
                }
                Map<String, SqlValue> row = visible(id);
                if (row != null) {
                    out.add(row);
                }
            }
        }
        return out;
    }

    /**
     * The changes after {@code from}, an offset this log handed out; null when it no longer knows
     * them (older than its history), in which case the client must refetch.
     */
    public List<ShapeChange> changesSince(ShapeOffset from) {
        if (broken) {
            return null;
        }
        if (from.equals(offset)) {
            return List.of();
        }
        List<ShapeChange> out = null;
        for (Step s : history) {
            if (out == null && s.from.equals(from)) {
                out = new ArrayList<>();
            }
            if (out != null) {
                out.addAll(s.changes);
            }
        }
        return out;
    }

    private void remember(Step step) {
        history.addLast(step);
        historyChanges += step.changes.size();
        while (history.size() > 1 && (history.size() > MAX_HISTORY_STEPS || historyChanges > MAX_HISTORY_CHANGES)) {
            historyChanges -= history.removeFirst().changes.size();
        }
    }

    private static List<String> sorted(Set<String> ids) {
        List<String> out = new ArrayList<>(ids);
        out.sort(null);
        return out;
    }

    /** The row as the shape sees it (union over buckets, newest op wins), or null when absent or filtered out. */
    private Map<String, SqlValue> visible(String id) {
        Version newest = null;
        for (Map<String, List<Version>> b : buckets.values()) {
            List<Version> versions = b.get(id);
            if (versions != null) {
                for (Version v : versions) {
                    if (newest == null || v.opId > newest.opId) {
                        newest = v;
                    }
                }
            }
        }
        if (newest == null || newest.dataJson == null) {
            return null;
        }
        return filtered(SyncedRows.parse(newest.dataJson));
    }

    private Map<String, SqlValue> filtered(Map<String, SqlValue> row) {
        return definition.where().test(row) ? row : null;
    }

    private ShapeChange diff(String id, Map<String, SqlValue> before, Map<String, SqlValue> after) {
        String key = definition.table().key(id);
        ShapeSchema schema = definition.schema();
        if (after == null) {
            if (before == null) {
                return null;
            }
            Map<String, String> old = schema.render(before);
            Map<String, String> value = definition.replicaFull() ? old : pkOnly(old, id);
            return new ShapeChange(ShapeChange.Operation.DELETE, key, value, null);
        }
        Map<String, String> now = schema.render(after);
        if (before == null) {
            return new ShapeChange(ShapeChange.Operation.INSERT, key, now, null);
        }
        Map<String, String> old = schema.render(before);
        if (old.equals(now)) {
            return null;
        }
        Map<String, String> changed = new LinkedHashMap<>();
        Map<String, String> oldChanged = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : now.entrySet()) {
            boolean differs = !old.containsKey(e.getKey()) || !Objects.equals(old.get(e.getKey()), e.getValue());
            if (differs || e.getKey().equals("id")) {
                changed.put(e.getKey(), e.getValue());
            }
            if (differs) {
                oldChanged.put(e.getKey(), old.get(e.getKey()));
            }
        }
        return definition.replicaFull()
                ? new ShapeChange(ShapeChange.Operation.UPDATE, key, now, oldChanged)
                : new ShapeChange(ShapeChange.Operation.UPDATE, key, changed, null);
    }

    private static Map<String, String> pkOnly(Map<String, String> row, String id) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("id", row.getOrDefault("id", id));
        return out;
    }

    private Map<String, List<Version>> readBucket(BucketDataSource.Reader reader, String bucket, long upTo,
                                                  Map<String, List<Long>> touched) {
        Map<String, List<Version>> rows = new HashMap<>();
        List<OplogEntry> ops = readAll(reader, bucket, 0, upTo);
        String table = definition.table().clientTable();
        for (OplogEntry o : ops) {
            if (o.opId() > opId && o.objectId() != null && table.equals(o.objectType())) {
                touched.computeIfAbsent(o.objectId(), k -> new ArrayList<>()).add(o.opId());
            }
        }
        apply(rows, ops);
        return rows;
    }

    private static List<OplogEntry> readAll(BucketDataSource.Reader reader, String bucket, long after, long upTo) {
        List<OplogEntry> out = new ArrayList<>();
        long from = Math.max(after, 0);
        while (true) {
            List<OplogEntry> chunk = reader.ops(bucket, from, upTo, CHUNK);
            out.addAll(chunk);
            if (chunk.size() < CHUNK) {
                return out;
            }
            from = chunk.getLast().opId();
        }
    }

    private void apply(Map<String, List<Version>> rows, List<OplogEntry> ops) {
        String table = definition.table().clientTable();
        for (OplogEntry o : ops) {
            switch (o.op()) {
                case CLEAR -> rows.clear();
                case MOVE -> {
                    // superseded by a later op of the same row, which follows
                }
                case PUT, REMOVE -> {
                    if (!table.equals(o.objectType()) || o.objectId() == null) {
                        continue;
                    }
                    String subkey = o.subkey() == null ? "" : o.subkey();
                    List<Version> versions = rows.get(o.objectId());
                    List<Version> next = new ArrayList<>(versions == null ? 1 : versions.size() + 1);
                    if (versions != null) {
                        for (Version v : versions) {
                            if (!v.subkey.equals(subkey)) {
                                next.add(v);
                            }
                        }
                    }
                    if (o.op() == OplogEntry.Op.PUT) {
                        next.add(new Version(subkey, o.opId(), o.data()));
                    }
                    if (next.isEmpty()) {
                        rows.remove(o.objectId());
                    } else {
                        rows.put(o.objectId(), next);
                    }
                }
            }
        }
    }
}
