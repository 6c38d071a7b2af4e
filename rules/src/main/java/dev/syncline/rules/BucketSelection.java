package dev.syncline.rules;

import java.util.List;

/**
 * What {@link SyncRulesPlan#selectBuckets} decides for one connection: the buckets (merged by id, in
 * the order first found) and the problems with its subscriptions.
 */
public record BucketSelection(List<SubscribedBucket> buckets, List<StreamError> errors) {
    public BucketSelection {
        buckets = List.copyOf(buckets);
        errors = List.copyOf(errors);
    }
}
