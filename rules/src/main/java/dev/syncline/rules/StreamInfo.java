package dev.syncline.rules;

/**
 * A stream (or bucket definition) as the checkpoint's {@code streams} list describes it.
 *
 * @param autoSubscribe the protocol's {@code is_default}: {@code auto_subscribe}, always true for bucket definitions
 */
public record StreamInfo(String name, boolean autoSubscribe, int priority) {}
