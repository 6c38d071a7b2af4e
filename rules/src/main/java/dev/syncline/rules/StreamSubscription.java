package dev.syncline.rules;

/**
 * One entry of a sync request's {@code streams.subscriptions}: the client subscribed to stream
 * {@code stream} with these parameters.
 *
 * @param parametersJson the subscription's parameters as a JSON object; null when the client sent
 *     none (then the subscription also stands for the stream's default subscription)
 * @param overridePriority the client's {@code override_priority} (0–3), or null to use the stream's
 */
public record StreamSubscription(String stream, String parametersJson, Integer overridePriority) {}
