package dev.syncline.rules;

import java.util.List;

/**
 * What {@link SyncRulesPlan#selectBuckets} decides for one connection: the buckets (merged by id, in
 * the order first found), the problems with its subscriptions, and the checkpoint's {@code streams}
 * list — every bucket definition and stream the connection is subscribed to (by default or
 * explicitly), in file order, as PowerSync lists them; a {@link BucketReason.Default} refers to
 * one of these by name, the protocol by its index here.
 */
public record BucketSelection(List<SubscribedBucket> buckets, List<StreamError> errors, List<StreamInfo> streams) {
    public BucketSelection {
        buckets = List.copyOf(buckets);
        errors = List.copyOf(errors);
        streams = List.copyOf(streams);
    }
}
