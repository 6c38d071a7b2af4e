package dev.syncline.protocol.sync;

import java.util.List;
import java.util.Objects;

/**
 * One entry of a full checkpoint's {@code streams} list (PROTOCOL.md §9): a stream the connection is
 * subscribed to, whether by default, and the subscriptions of it that could not be resolved.
 */
public record StreamDescription(String name, boolean isDefault, List<Error> errors) {
    public StreamDescription {
        Objects.requireNonNull(name, "name");
        errors = List.copyOf(errors);
    }

    /**
     * A subscription that could not be resolved.
     *
     * @param subscription the index into the request's {@code streams.subscriptions}, or null for the
     *                     default subscription (written as {@code "default"})
     */
    public record Error(Integer subscription, String message) {
        public Error {
            Objects.requireNonNull(message, "message");
        }
    }
}
