package dev.syncline.protocol.sync;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@code streams} field of a sync request (PROTOCOL.md §9): whether the client wants the default
 * streams (those with {@code auto_subscribe: true} and every bucket definition) and the streams it
 * subscribed to explicitly. A client that sends no {@code streams} field gets {@link #DEFAULTS}.
 * A subscription is referred to on the wire by its index in {@code subscriptions}.
 */
public record StreamSubscriptions(boolean includeDefaults, List<Requested> subscriptions) {
    /** What a client that knows nothing of streams asks for: the default streams only. */
    public static final StreamSubscriptions DEFAULTS = new StreamSubscriptions(true, List.of());
    /** Upper bound on explicit subscriptions in one request. */
    public static final int MAX_SUBSCRIPTIONS = 1_000;

    public StreamSubscriptions {
        subscriptions = List.copyOf(subscriptions);
    }

    /**
     * One explicit subscription.
     *
     * @param stream the stream's name as written in the sync config (may name no stream: that is
     *               reported in the checkpoint's {@code streams[].errors}, not refused)
     * @param parametersJson the subscription's parameters as a JSON object, or null when the client
     *                       sent none (or null)
     * @param overridePriority a priority (0..3) replacing the stream's own, or null
     */
    public record Requested(String stream, String parametersJson, Integer overridePriority) {
        public Requested {
            Objects.requireNonNull(stream, "stream");
            if (overridePriority != null && (overridePriority < 0 || overridePriority > 3)) {
                throw new IllegalArgumentException("override_priority must be 0..3: " + overridePriority);
            }
        }
    }

    /** Reads the request's {@code streams} node; a missing or null node means {@link #DEFAULTS}. */
    static StreamSubscriptions parse(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return DEFAULTS;
        }
        if (!node.isObject()) {
            throw new StreamingSyncRequest.InvalidRequestException(
                    "`streams` must be an object {include_defaults, subscriptions}");
        }
        JsonNode include = node.path("include_defaults");
        if (!include.isMissingNode() && !include.isNull() && !include.isBoolean()) {
            throw new StreamingSyncRequest.InvalidRequestException("`streams.include_defaults` must be true or false");
        }
        JsonNode list = node.path("subscriptions");
        List<Requested> out = new ArrayList<>();
        if (!list.isMissingNode() && !list.isNull()) {
            if (!list.isArray()) {
                throw new StreamingSyncRequest.InvalidRequestException(
                        "`streams.subscriptions` must be an array of {stream, parameters, override_priority}");
            }
            if (list.size() > MAX_SUBSCRIPTIONS) {
                throw new StreamingSyncRequest.InvalidRequestException("`streams.subscriptions` has " + list.size()
                        + " entries; at most " + MAX_SUBSCRIPTIONS);
            }
            for (int i = 0; i < list.size(); i++) {
                out.add(requested(list.get(i), i));
            }
        }
        return new StreamSubscriptions(include.isBoolean() ? include.asBoolean() : true, out);
    }

    private static Requested requested(JsonNode s, int index) {
        String where = "`streams.subscriptions[" + index + "]`";
        JsonNode stream = s.path("stream");
        if (!stream.isTextual() || stream.asText().isEmpty()) {
            throw new StreamingSyncRequest.InvalidRequestException(where + " needs a `stream` name (a string)");
        }
        JsonNode parameters = s.path("parameters");
        if (!parameters.isMissingNode() && !parameters.isNull() && !parameters.isObject()) {
            throw new StreamingSyncRequest.InvalidRequestException(where + ".parameters must be a JSON object or null");
        }
        JsonNode priority = s.path("override_priority");
        Integer override = null;
        if (!priority.isMissingNode() && !priority.isNull()) {
            if (!priority.isIntegralNumber() || priority.asInt() < 0 || priority.asInt() > 3) {
                throw new StreamingSyncRequest.InvalidRequestException(where
                        + ".override_priority must be an integer 0..3 or null");
            }
            override = priority.asInt();
        }
        return new Requested(stream.asText(), parameters.isObject() ? parameters.toString() : null, override);
    }
}
