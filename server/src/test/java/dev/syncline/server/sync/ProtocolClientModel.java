package dev.syncline.server.sync;

import dev.syncline.protocol.sync.BucketChecksum;
import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.SyncLine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A strict model of a sync client (PROTOCOL.md §2) that fails on any protocol violation: a diff
 * before a checkpoint, data for a bucket outside the checkpoint, ops beyond the checkpoint, a gap
 * in a bucket's op sequence, or a checksum mismatch at completion.
 */
public final class ProtocolClientModel {
    /** bucket → (row id → data), as applied at the last completed checkpoint. */
    public final Map<String, Map<String, String>> rows = new TreeMap<>();
    final Map<String, Long> checksums = new HashMap<>();
    final Map<String, Long> after = new HashMap<>();
    private Map<String, BucketChecksum> target;
    private long targetOpId;
    public Long writeCheckpoint;
    long completedOpId;
    public final List<String> events = new ArrayList<>();

    /** Per bucket, the op id the client holds it up to (what a resuming client sends as {@code after}). */
    public Map<String, Long> positions() {
        return Map.copyOf(after);
    }

    public void accept(SyncLine line) {
        switch (line) {
            case SyncLine.Checkpoint c -> {
                target = new HashMap<>();
                c.buckets().forEach(b -> target.put(b.bucket(), b));
                targetOpId = c.lastOpId();
                writeCheckpoint = c.writeCheckpoint() != null ? c.writeCheckpoint() : writeCheckpoint;
                rows.keySet().retainAll(target.keySet());
                events.add("checkpoint " + c.lastOpId());
            }
            case SyncLine.CheckpointDiff d -> {
                if (target == null) {
                    throw new AssertionError("checkpoint_diff before any checkpoint");
                }
                d.updatedBuckets().forEach(b -> target.put(b.bucket(), b));
                d.removedBuckets().forEach(b -> {
                    target.remove(b);
                    rows.remove(b);
                    checksums.remove(b);
                    after.remove(b);
                });
                targetOpId = d.lastOpId();
                writeCheckpoint = d.writeCheckpoint() != null ? d.writeCheckpoint() : writeCheckpoint;
                events.add("diff " + d.lastOpId() + " updated=" + d.updatedBuckets().size() + " removed=" + d.removedBuckets());
            }
            case SyncLine.Data d -> {
                if (target == null || !target.containsKey(d.bucket())) {
                    throw new AssertionError("data for bucket " + d.bucket() + " outside the current checkpoint");
                }
                if (d.after() != after.getOrDefault(d.bucket(), 0L)) {
                    throw new AssertionError("gap in " + d.bucket() + ": data after " + d.after() + " but client holds "
                            + after.getOrDefault(d.bucket(), 0L));
                }
                for (OplogEntry op : d.data()) {
                    if (op.opId() > targetOpId) {
                        throw new AssertionError("op " + op.opId() + " beyond checkpoint " + targetOpId);
                    }
                    Map<String, String> bucketRows = rows.computeIfAbsent(d.bucket(), b -> new TreeMap<>());
                    switch (op.op()) {
                        case PUT -> bucketRows.put(op.objectId(), op.data());
                        case REMOVE -> bucketRows.remove(op.objectId());
                        case MOVE -> { }
                        case CLEAR -> {
                            bucketRows.clear();
                            checksums.put(d.bucket(), 0L);
                        }
                    }
                    checksums.merge(d.bucket(), op.checksum(), (a, b) -> (a + b) & 0xFFFF_FFFFL);
                }
                after.put(d.bucket(), d.nextAfter());
                events.add("data " + d.bucket() + " " + d.data().size() + (d.hasMore() ? " more" : ""));
            }
            case SyncLine.PartialCheckpointComplete p -> {
                verify(p.priority());
                events.add("partial " + p.priority());
            }
            case SyncLine.CheckpointComplete c -> {
                verify(3);
                completedOpId = c.lastOpId();
                target.keySet().forEach(b -> after.put(b, c.lastOpId()));
                events.add("complete " + c.lastOpId());
            }
            case SyncLine.TokenExpiresIn t -> events.add("token " + t.seconds());
        }
    }

    private void verify(int maxPriority) {
        for (BucketChecksum b : target.values()) {
            if (b.priority() <= maxPriority && checksums.getOrDefault(b.bucket(), 0L) != b.checksum()) {
                throw new AssertionError("checksum mismatch in " + b.bucket() + ": client "
                        + checksums.getOrDefault(b.bucket(), 0L) + ", server " + b.checksum());
            }
        }
    }
}
