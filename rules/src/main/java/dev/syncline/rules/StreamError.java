package dev.syncline.rules;

/**
 * A problem with one subscription, reported to the client in the checkpoint's {@code streams[].errors}
 * instead of failing the connection.
 *
 * @param stream the stream name the client asked for
 * @param subscription the index into the request's subscriptions, or null for the stream's default subscription
 * @param code {@link RuleErrorCode#UNKNOWN_STREAM}, {@link RuleErrorCode#BAD_SUBSCRIPTION_PARAMETERS}, or
 *     {@link RuleErrorCode#SQL_SYNTAX} when evaluation failed unexpectedly
 */
public record StreamError(String stream, Integer subscription, RuleErrorCode code, String message) {}
