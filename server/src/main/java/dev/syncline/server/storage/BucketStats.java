package dev.syncline.server.storage;

/**
 * Size of one bucket: rows it currently holds and ops stored for it (which compaction shrinks).
 */
public record BucketStats(String bucket, long rows, long ops) {}
