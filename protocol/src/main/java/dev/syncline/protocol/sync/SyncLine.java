package dev.syncline.protocol.sync;

import java.util.List;
import java.util.Objects;

/**
 * One line of the sync stream (server → client), PROTOCOL.md §2. Every line is an object with
 * exactly one key, the line's kind. Op ids are unsigned 64-bit values held in a {@code long} here
 * and written as decimal strings on the wire; checksums are unsigned 32-bit values held in a long.
 * {@link SyncLineCodec} writes them as NDJSON or BSON.
 */
public sealed interface SyncLine {

    /**
     * A full checkpoint: the complete bucket list with checksums as of {@code lastOpId}, and the
     * streams the connection is subscribed to (bucket reasons index into {@code streams}).
     */
    record Checkpoint(long lastOpId, Long writeCheckpoint, List<BucketChecksum> buckets,
                      List<StreamDescription> streams) implements SyncLine {
        public Checkpoint {
            buckets = List.copyOf(buckets);
            streams = List.copyOf(streams);
        }

        public Checkpoint(long lastOpId, Long writeCheckpoint, List<BucketChecksum> buckets) {
            this(lastOpId, writeCheckpoint, buckets, List.of());
        }
    }

    /** Changes against the previous checkpoint; empty lists acknowledge a write checkpoint alone. */
    record CheckpointDiff(long lastOpId, Long writeCheckpoint, List<BucketChecksum> updatedBuckets,
                          List<String> removedBuckets) implements SyncLine {
        public CheckpointDiff {
            updatedBuckets = List.copyOf(updatedBuckets);
            removedBuckets = List.copyOf(removedBuckets);
        }
    }

    /**
     * Ops of one bucket with ids in ({@code after}, {@code nextAfter}]; {@code hasMore} when more
     * lines for this bucket follow before the checkpoint completes.
     */
    record Data(String bucket, List<OplogEntry> data, boolean hasMore, long after, long nextAfter)
            implements SyncLine {
        public Data {
            Objects.requireNonNull(bucket, "bucket");
            data = List.copyOf(data);
        }
    }

    /** The checkpoint's data is complete; the client validates checksums and applies atomically. */
    record CheckpointComplete(long lastOpId) implements SyncLine {}

    /** Every bucket of priority ≤ {@code priority} is complete (a weaker, partial apply). */
    record PartialCheckpointComplete(long lastOpId, int priority) implements SyncLine {}

    /** Seconds until the token expires; 0 means the stream ends now and the client reconnects. */
    record TokenExpiresIn(long seconds) implements SyncLine {}
}
