package dev.syncline.protocol.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code POST /sync/stream} (and the RSocket REQUEST_STREAM data), PROTOCOL.md §1.
 * Unknown fields are ignored, as the clients send more than the server reads. Client parameters
 * are kept as raw JSON: they are untrusted input for the sync rules, never for access control.
 *
 * @param clientId null when the client sent none
 * @param parametersJson a JSON object, {@code {}} when absent
 * @param streams the Sync Streams the client asks for; {@link StreamSubscriptions#DEFAULTS} when absent
 */
public record StreamingSyncRequest(List<BucketRequest> buckets, String clientId, String parametersJson,
                                   boolean includeChecksum, boolean rawData, boolean binaryData,
                                   StreamSubscriptions streams) {
    /** Upper bound on buckets named in one request (the rules' per-connection limit is checked later). */
    public static final int MAX_BUCKETS = 10_000;
    private static final int MAX_NAME_LENGTH = 4_096;
    private static final int MAX_NESTING = 32;
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING).maxStringLength(1 << 20).build());
    }

    public StreamingSyncRequest {
        buckets = List.copyOf(buckets);
        streams = streams == null ? StreamSubscriptions.DEFAULTS : streams;
    }

    /** A request of a client that knows nothing of Sync Streams. */
    public StreamingSyncRequest(List<BucketRequest> buckets, String clientId, String parametersJson,
                                boolean includeChecksum, boolean rawData, boolean binaryData) {
        this(buckets, clientId, parametersJson, includeChecksum, rawData, binaryData, StreamSubscriptions.DEFAULTS);
    }

    /** Thrown for a body the server cannot use; the message says what to fix. */
    public static final class InvalidRequestException extends RuntimeException {
        public InvalidRequestException(String message) {
            super(message);
        }
    }

    public static StreamingSyncRequest parse(byte[] body) {
        JsonNode root;
        try {
            root = body.length == 0 ? MAPPER.createObjectNode() : MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException("request body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new InvalidRequestException("request body could not be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidRequestException("request body must be a JSON object");
        }
        List<BucketRequest> buckets = new ArrayList<>();
        JsonNode list = root.path("buckets");
        if (!list.isMissingNode() && !list.isNull()) {
            if (!list.isArray()) {
                throw new InvalidRequestException("`buckets` must be an array of {name, after}");
            }
            if (list.size() > MAX_BUCKETS) {
                throw new InvalidRequestException("`buckets` names " + list.size() + " buckets; at most " + MAX_BUCKETS);
            }
            Set<String> seen = new HashSet<>();
            for (JsonNode b : list) {
                String name = b.path("name").isTextual() ? b.path("name").asText() : null;
                if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
                    throw new InvalidRequestException("every entry of `buckets` needs a `name` string (1.."
                            + MAX_NAME_LENGTH + " characters)");
                }
                if (seen.add(name)) {
                    buckets.add(new BucketRequest(name, opId(b.path("after"), name)));
                }
            }
        }
        JsonNode clientId = root.path("client_id");
        if (!clientId.isMissingNode() && !clientId.isNull() && !clientId.isTextual()) {
            throw new InvalidRequestException("`client_id` must be a string");
        }
        JsonNode parameters = root.path("parameters");
        if (!parameters.isMissingNode() && !parameters.isNull() && !parameters.isObject()) {
            throw new InvalidRequestException("`parameters` must be a JSON object");
        }
        return new StreamingSyncRequest(buckets, clientId.isTextual() ? clientId.asText() : null,
                parameters.isObject() ? parameters.toString() : "{}",
                root.path("include_checksum").asBoolean(true), root.path("raw_data").asBoolean(false),
                root.path("binary_data").asBoolean(false), StreamSubscriptions.parse(root.path("streams")));
    }

    /** Op ids travel as decimal strings; plain numbers are accepted too. Missing means 0. */
    private static long opId(JsonNode after, String bucket) {
        if (after.isMissingNode() || after.isNull()) {
            return 0;
        }
        String text = after.isTextual() ? after.asText() : after.isIntegralNumber() ? after.asText() : null;
        try {
            if (text != null && !text.startsWith("-") && !text.startsWith("+")) {
                return Long.parseUnsignedLong(text);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new InvalidRequestException("`after` of bucket `" + bucket + "` must be a decimal op id string, e.g. \"0\"");
    }
}
