package dev.syncline.protocol.sync;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StreamingSyncRequestTest {
    static StreamingSyncRequest parse(String json) {
        return StreamingSyncRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesWhatTheClientsSendAndIgnoresUnknownFields() {
        StreamingSyncRequest r = parse("{\"buckets\":[{\"name\":\"a[]\",\"after\":\"18446744073709551615\"},"
                + "{\"name\":\"b[]\",\"after\":\"0\"}],\"include_checksum\":true,\"raw_data\":true,"
                + "\"client_id\":\"c1\",\"parameters\":{\"x\":1},\"streams\":{\"include_defaults\":true},\"new\":1}");
        assertThat(r.buckets()).containsExactly(new BucketRequest("a[]", -1L), new BucketRequest("b[]", 0));
        assertThat(r.clientId()).isEqualTo("c1");
        assertThat(r.parametersJson()).isEqualTo("{\"x\":1}");
        assertThat(r.rawData()).isTrue();
    }

    @Test
    void emptyBodyIsAFirstSync() {
        StreamingSyncRequest r = StreamingSyncRequest.parse(new byte[0]);
        assertThat(r.buckets()).isEmpty();
        assertThat(r.parametersJson()).isEqualTo("{}");
    }

    @Test
    void rejectsBadInputWithAMessageThatSaysWhatToFix() {
        assertThatThrownBy(() -> parse("[1]")).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> parse("{\"buckets\":{}}")).hasMessageContaining("`buckets` must be an array");
        assertThatThrownBy(() -> parse("{\"buckets\":[{\"after\":\"1\"}]}")).hasMessageContaining("`name`");
        assertThatThrownBy(() -> parse("{\"buckets\":[{\"name\":\"a\",\"after\":\"-1\"}]}")).hasMessageContaining("`after`");
        assertThatThrownBy(() -> parse("{\"buckets\":[{\"name\":\"a\",\"after\":\"1e3\"}]}")).hasMessageContaining("`after`");
        assertThatThrownBy(() -> parse("{\"parameters\":\"x\"}")).hasMessageContaining("`parameters`");
        assertThatThrownBy(() -> parse("{\"client_id\":5}")).hasMessageContaining("`client_id`");
        assertThatThrownBy(() -> parse("{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}"))
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> parse("{nope")).hasMessageContaining("not valid JSON");
    }

    @Test
    void readsStreamSubscriptionsAndTreatsAMissingIncludeDefaultsAsTrue() {
        StreamingSyncRequest r = parse("{\"streams\":{\"subscriptions\":[{\"stream\":\"list\",\"parameters\":"
                + "{\"list_id\":\"l1\"},\"override_priority\":1},{\"stream\":\"all\",\"parameters\":null,"
                + "\"override_priority\":null}]}}");
        assertThat(r.streams().includeDefaults()).isTrue();
        assertThat(r.streams().subscriptions()).containsExactly(
                new StreamSubscriptions.Requested("list", "{\"list_id\":\"l1\"}", 1),
                new StreamSubscriptions.Requested("all", null, null));
        assertThat(parse("{\"streams\":{\"include_defaults\":false,\"subscriptions\":[]}}").streams())
                .isEqualTo(new StreamSubscriptions(false, java.util.List.of()));
        assertThat(parse("{}").streams()).isEqualTo(StreamSubscriptions.DEFAULTS);
    }

    @Test
    void rejectsMalformedStreamSubscriptionsWithTheirPath() {
        assertThatThrownBy(() -> parse("{\"streams\":[]}")).hasMessageContaining("`streams` must be an object");
        assertThatThrownBy(() -> parse("{\"streams\":{\"include_defaults\":\"yes\"}}"))
                .hasMessageContaining("include_defaults");
        assertThatThrownBy(() -> parse("{\"streams\":{\"subscriptions\":[{\"parameters\":{}}]}}"))
                .hasMessageContaining("`streams.subscriptions[0]` needs a `stream`");
        assertThatThrownBy(() -> parse("{\"streams\":{\"subscriptions\":[{\"stream\":\"a\",\"parameters\":[1]}]}}"))
                .hasMessageContaining("parameters must be a JSON object");
        assertThatThrownBy(() -> parse("{\"streams\":{\"subscriptions\":[{\"stream\":\"a\",\"override_priority\":7}]}}"))
                .hasMessageContaining("override_priority");
        assertThatThrownBy(() -> parse("{\"streams\":{\"subscriptions\":["
                + "{\"stream\":\"a\"},".repeat(StreamSubscriptions.MAX_SUBSCRIPTIONS) + "{\"stream\":\"a\"}]}}"))
                .hasMessageContaining("at most");
    }
}
