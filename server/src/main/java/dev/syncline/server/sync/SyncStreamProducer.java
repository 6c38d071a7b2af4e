package dev.syncline.server.sync;

import dev.syncline.protocol.sync.BucketChecksum;
import dev.syncline.protocol.sync.BucketRequest;
import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.SyncLine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The per-connection sync state machine of PROTOCOL.md §2, independent of any transport: for
 * each new checkpoint it yields a full {@code checkpoint} (first time) or a {@code checkpoint_diff},
 * then {@code data} lines for buckets with ops the client lacks — by priority, ending each
 * priority group but the last with {@code partial_checkpoint_complete} — then
 * {@code checkpoint_complete}.
 *
 * <p>Invariants: no diff before a checkpoint; data only for buckets of the current checkpoint;
 * op ids never beyond the checkpoint. Data lines are read lazily in chunks (≤ {@code maxOpsPerLine}
 * ops, ≈ ≤ {@code maxBytesPerLine} bytes), so memory stays bounded whatever the bucket size. Work
 * per checkpoint is proportional to the buckets that changed. Not thread-safe: one connection,
 * one thread; fully drain one checkpoint's lines before asking for the next.
 */
public final class SyncStreamProducer {
    private final BucketDataSource source;
    private final int maxOpsPerLine;
    private final long maxBytesPerLine;
    /** Per bucket, the op id up to which the client holds it. */
    private final Map<String, Long> clientAfter = new HashMap<>();
    private Map<String, BucketChecksum> lastSent;
    private Long lastWriteCheckpoint;

    public SyncStreamProducer(BucketDataSource source, List<BucketRequest> clientBuckets, int maxOpsPerLine,
                              long maxBytesPerLine) {
        this.source = Objects.requireNonNull(source, "source");
        this.maxOpsPerLine = maxOpsPerLine;
        this.maxBytesPerLine = maxBytesPerLine;
        for (BucketRequest b : clientBuckets) {
            clientAfter.put(b.name(), b.after());
        }
    }

    /**
     * One checkpoint's lines, read lazily. Close it when done or abandoned (a client that went away):
     * it may hold a storage reader.
     */
    public interface Lines extends Iterator<SyncLine>, AutoCloseable {
        @Override
        void close();
    }

    private static final Lines NONE = new Lines() {
        @Override public boolean hasNext() { return false; }
        @Override public SyncLine next() { throw new NoSuchElementException(); }
        @Override public void close() {}
    };

    /** The lines that bring the client to {@code checkpoint}; empty when nothing changed for it. */
    public Lines onCheckpoint(ConnectionCheckpoint checkpoint) {
        Map<String, BucketDataSource.BucketState> states = checkpoint.states();
        Map<String, BucketChecksum> current = new TreeMap<>();
        checkpoint.buckets().forEach((bucket, priority) -> {
            BucketDataSource.BucketState s = states.getOrDefault(bucket, BucketDataSource.BucketState.EMPTY);
            current.put(bucket, new BucketChecksum(bucket, s.checksum(), s.count(), priority,
                    checkpoint.reasons().getOrDefault(bucket, List.of())));
        });

        List<SyncLine> head = new ArrayList<>(1);
        // Buckets that may hold ops the client lacks: all of them at first, later only changed ones.
        List<BucketChecksum> candidates;
        if (lastSent == null) {
            candidates = List.copyOf(current.values());
            head.add(new SyncLine.Checkpoint(checkpoint.opId(), checkpoint.writeCheckpoint(),
                    List.copyOf(current.values()), checkpoint.streams()));
            clientAfter.keySet().retainAll(current.keySet());
        } else {
            List<BucketChecksum> updated = new ArrayList<>();
            current.forEach((bucket, checksum) -> {
                if (!checksum.equals(lastSent.get(bucket))) {
                    updated.add(checksum);
                }
            });
            List<String> removed = lastSent.keySet().stream().filter(b -> !current.containsKey(b)).sorted().toList();
            if (updated.isEmpty() && removed.isEmpty()
                    && Objects.equals(checkpoint.writeCheckpoint(), lastWriteCheckpoint)) {
                return NONE;
            }
            head.add(new SyncLine.CheckpointDiff(checkpoint.opId(), checkpoint.writeCheckpoint(), updated, removed));
            candidates = updated;
            removed.forEach(clientAfter::remove);
        }
        lastSent = current;
        if (checkpoint.writeCheckpoint() != null) {
            lastWriteCheckpoint = checkpoint.writeCheckpoint();
        }

        // Buckets the client lacks ops of, grouped by priority (0 first).
        TreeMap<Integer, List<String>> byPriority = new TreeMap<>();
        for (BucketChecksum b : candidates) {
            long after = clientAfter.getOrDefault(b.bucket(), 0L);
            long last = states.getOrDefault(b.bucket(), BucketDataSource.BucketState.EMPTY).lastOpId();
            if (Long.compareUnsigned(last, after) > 0) {
                byPriority.computeIfAbsent(b.priority(), p -> new ArrayList<>()).add(b.bucket());
            }
        }
        return new CheckpointLines(checkpoint, head, byPriority);
    }

    /** Lazily expands one checkpoint into lines, reading ops chunk by chunk. */
    private final class CheckpointLines implements Lines {
        private final ConnectionCheckpoint checkpoint;
        private final ArrayDeque<SyncLine> ready = new ArrayDeque<>();
        private final ArrayDeque<Map.Entry<Integer, List<String>>> groups;
        private final ArrayDeque<String> bucketsOfGroup = new ArrayDeque<>();
        private final ArrayDeque<OplogEntry> fetched = new ArrayDeque<>();
        private int currentPriority;
        private boolean startedGroup;
        private String bucket;
        private long after;
        private boolean exhausted;
        private boolean done;
        /** Opened at the first read, closed with the last line or {@link #close()}. */
        private BucketDataSource.Reader reader;

        CheckpointLines(ConnectionCheckpoint checkpoint, List<SyncLine> head, TreeMap<Integer, List<String>> groups) {
            this.checkpoint = checkpoint;
            this.ready.addAll(head);
            this.groups = new ArrayDeque<>(new LinkedHashMap<>(groups).entrySet());
        }

        @Override
        public boolean hasNext() {
            if (ready.isEmpty() && !done) {
                advance();
            }
            return !ready.isEmpty();
        }

        @Override
        public SyncLine next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void advance() {
            while (ready.isEmpty() && !done) {
                if (bucket != null) {
                    nextDataLine();
                } else if (!bucketsOfGroup.isEmpty()) {
                    bucket = bucketsOfGroup.poll();
                    after = clientAfter.getOrDefault(bucket, 0L);
                    exhausted = false;
                } else if (!groups.isEmpty()) {
                    if (startedGroup) {
                        // The group before this one is complete: let the client apply it early.
                        ready.add(new SyncLine.PartialCheckpointComplete(checkpoint.opId(), currentPriority));
                    }
                    Map.Entry<Integer, List<String>> group = groups.poll();
                    currentPriority = group.getKey();
                    bucketsOfGroup.addAll(group.getValue());
                    startedGroup = true;
                } else {
                    // Every bucket the client holds is now complete up to this checkpoint.
                    for (String b : checkpoint.buckets().keySet()) {
                        clientAfter.put(b, checkpoint.opId());
                    }
                    ready.add(new SyncLine.CheckpointComplete(checkpoint.opId()));
                    done = true;
                    close();
                }
            }
        }

        @Override
        public void close() {
            if (reader != null) {
                reader.close();
                reader = null;
            }
        }

        private void fetchIfEmpty(long from) {
            if (fetched.isEmpty() && !exhausted) {
                if (reader == null) {
                    reader = source.reader();
                }
                List<OplogEntry> ops = reader.ops(bucket, from, checkpoint.opId(), maxOpsPerLine);
                fetched.addAll(ops);
                exhausted = ops.size() < maxOpsPerLine;
            }
        }

        private void nextDataLine() {
            fetchIfEmpty(after);
            List<OplogEntry> line = new ArrayList<>();
            long bytes = 0;
            while (!fetched.isEmpty() && line.size() < maxOpsPerLine) {
                OplogEntry op = fetched.peek();
                long size = 64 + (op.data() == null ? 0 : op.data().length());
                if (!line.isEmpty() && bytes + size > maxBytesPerLine) {
                    break;
                }
                line.add(fetched.poll());
                bytes += size;
            }
            if (line.isEmpty()) {
                bucket = null; // nothing (more) to send for this bucket
                return;
            }
            long nextAfter = line.getLast().opId();
            fetchIfEmpty(nextAfter); // look ahead, so has_more is never a promise without data
            boolean hasMore = !fetched.isEmpty();
            ready.add(new SyncLine.Data(bucket, line, hasMore, after, nextAfter));
            after = nextAfter;
            if (!hasMore) {
                bucket = null;
            }
        }
    }
}
