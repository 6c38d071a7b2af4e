package dev.syncline.rules;

/** A stream of the rules as the checkpoint's {@code streams} list describes it. */
public record StreamInfo(String name, boolean autoSubscribe, int priority) {}
