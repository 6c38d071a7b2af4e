package dev.syncline.rules;

/** Why a connection syncs a bucket: the wire protocol's {@code subscriptions} entries of a bucket. */
public sealed interface BucketReason {

    /**
     * Included by default: an {@code auto_subscribe} stream, or a bucket definition.
     *
     * @param source the stream or bucket definition name (the protocol refers to it by its index in
     *     the checkpoint's {@code streams} list)
     */
    record Default(String source) implements BucketReason {}

    /** Included for the request's subscription at {@code index} (an index into {@code streams.subscriptions}). */
    record Subscription(int index) implements BucketReason {}
}
