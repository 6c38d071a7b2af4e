package dev.syncline.rules;

import java.util.List;

/**
 * A bucket a connection syncs, with every reason it does.
 *
 * @param priority the lowest (most urgent) priority among the reasons, 0–3
 * @param source the stream or bucket definition that produced it first
 */
public record SubscribedBucket(String bucket, int priority, String source, List<BucketReason> reasons) {
    public SubscribedBucket {
        reasons = List.copyOf(reasons);
    }
}
