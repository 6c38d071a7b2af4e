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
}
