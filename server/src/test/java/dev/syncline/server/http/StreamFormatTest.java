package dev.syncline.server.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Compact rows only for a client that names them; what stock clients send keeps its standard framing. */
class StreamFormatTest {
    @Test
    void compactOnlyWhenNamedAndRankedAtLeastAsHigh() {
        assertThat(StreamFormat.negotiate("application/vnd.syncline.compact+ndjson, application/x-ndjson;q=0.5"))
                .isEqualTo(StreamFormat.COMPACT);
        assertThat(StreamFormat.negotiate("application/vnd.syncline.compact+ndjson")).isEqualTo(StreamFormat.COMPACT);
        assertThat(StreamFormat.negotiate("application/vnd.syncline.compact+ndjson;q=0.4, application/x-ndjson"))
                .isEqualTo(StreamFormat.NDJSON);
        assertThat(StreamFormat.negotiate("application/vnd.syncline.compact+ndjson;q=0")).isEqualTo(StreamFormat.NDJSON);
        // PowerSync's SDKs: BSON preferred, NDJSON next; browsers' fetch default; none.
        assertThat(StreamFormat.negotiate("application/vnd.powersync.bson-stream;q=0.9,application/x-ndjson;q=0.8"))
                .isEqualTo(StreamFormat.BSON);
        assertThat(StreamFormat.negotiate("application/x-ndjson")).isEqualTo(StreamFormat.NDJSON);
        assertThat(StreamFormat.negotiate("*/*")).isEqualTo(StreamFormat.NDJSON);
        assertThat(StreamFormat.negotiate(null)).isEqualTo(StreamFormat.NDJSON);
    }
}
