package dev.syncline.server.storage;

/**
 * A bucket's state at a checkpoint: the wrapping 32-bit sum of all its ops (superseded and
 * compacted ones included) and how many ops it currently stores.
 */
public record BucketChecksum(String bucket, long checksum, long count) {
    public static BucketChecksum empty(String bucket) {
        return new BucketChecksum(bucket, 0, 0);
    }
}
