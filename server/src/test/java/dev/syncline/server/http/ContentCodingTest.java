package dev.syncline.server.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** zstd for clients that accept it (browsers), gzip for the others that do, never a coding refused with q=0. */
class ContentCodingTest {
    @Test
    void whatClientsSendSelectsTheirCoding() {
        // Chromium's fetch; @powersync/node's (Node's fetch); none.
        assertThat(ContentCoding.negotiate("gzip, deflate, br, zstd", true)).isEqualTo(ContentCoding.ZSTD);
        assertThat(ContentCoding.negotiate("gzip, deflate", true)).isEqualTo(ContentCoding.GZIP);
        assertThat(ContentCoding.negotiate(null, true)).isEqualTo(ContentCoding.IDENTITY);
        assertThat(ContentCoding.negotiate("", true)).isEqualTo(ContentCoding.IDENTITY);
        assertThat(ContentCoding.negotiate("identity", true)).isEqualTo(ContentCoding.IDENTITY);
        assertThat(ContentCoding.negotiate("br", true)).isEqualTo(ContentCoding.IDENTITY);
    }

    @Test
    void aCodingRefusedOrRankedLowerIsNotChosen() {
        assertThat(ContentCoding.negotiate("zstd;q=0, gzip", true)).isEqualTo(ContentCoding.GZIP);
        assertThat(ContentCoding.negotiate("gzip;q=1, zstd;q=0.5", true)).isEqualTo(ContentCoding.GZIP);
        assertThat(ContentCoding.negotiate("gzip;q=0, zstd;q=0", true)).isEqualTo(ContentCoding.IDENTITY);
        assertThat(ContentCoding.negotiate("gzip;q=0", true)).isEqualTo(ContentCoding.IDENTITY);
        assertThat(ContentCoding.negotiate("GZIP;Q=0.3", true)).isEqualTo(ContentCoding.GZIP);
        assertThat(ContentCoding.negotiate("gzip;q=nonsense", true)).isEqualTo(ContentCoding.IDENTITY);
        assertThat(ContentCoding.negotiate("*", true)).isEqualTo(ContentCoding.ZSTD);
        assertThat(ContentCoding.negotiate("*;q=0, gzip", true)).isEqualTo(ContentCoding.GZIP);
    }

    @Test
    void withoutTheNativeLibraryZstdClientsGetGzip() {
        assertThat(ContentCoding.negotiate("gzip, deflate, br, zstd", false)).isEqualTo(ContentCoding.GZIP);
        assertThat(ContentCoding.negotiate("zstd", false)).isEqualTo(ContentCoding.IDENTITY);
    }
}
