package dev.syncline.rules;

/** A bucket a connection may read, with its priority (0 = first, 3 = default) and the definition it comes from. */
public record ResolvedBucket(String bucket, int priority, String definition) {}
