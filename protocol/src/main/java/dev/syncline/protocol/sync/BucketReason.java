package dev.syncline.protocol.sync;

/**
 * Why a bucket is part of a checkpoint (a bucket's {@code subscriptions} entries, PROTOCOL.md §9):
 * it belongs to a default stream, or to an explicit subscription of the request.
 */
public sealed interface BucketReason {
    /** From the default stream at {@code stream}, an index into the full checkpoint's {@code streams}. */
    record Default(int stream) implements BucketReason {}

    /** From the request's subscription at {@code subscription}, an index into {@code streams.subscriptions}. */
    record Subscription(int subscription) implements BucketReason {}
}
