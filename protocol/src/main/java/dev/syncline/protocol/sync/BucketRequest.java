package dev.syncline.protocol.sync;

import java.util.Objects;

/** A bucket the client already holds, and the op id it holds it up to (PROTOCOL.md §1). */
public record BucketRequest(String name, long after) {
    public BucketRequest {
        Objects.requireNonNull(name, "name");
    }
}
