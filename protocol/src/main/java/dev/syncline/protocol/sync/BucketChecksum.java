package dev.syncline.protocol.sync;

import java.util.List;
import java.util.Objects;

/**
 * A bucket's state at a checkpoint: the wrapping 32-bit sum of all its ops' checksums (unsigned,
 * 0..2^32-1), the number of ops, the bucket's priority (0 highest … 3 default) and why the
 * connection has it ({@code subscriptions} on the wire; empty when the server does not say).
 */
public record BucketChecksum(String bucket, long checksum, long count, int priority, List<BucketReason> reasons) {
    public static final int DEFAULT_PRIORITY = 3;

    public BucketChecksum(String bucket, long checksum, long count, int priority) {
        this(bucket, checksum, count, priority, List.of());
    }

    public BucketChecksum {
        Objects.requireNonNull(bucket, "bucket");
        reasons = List.copyOf(reasons);
        if (checksum < 0 || checksum > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("checksum must be an unsigned 32-bit value: " + checksum);
        }
        if (priority < 0 || priority > 3) {
            throw new IllegalArgumentException("priority must be 0..3: " + priority);
        }
    }
}
