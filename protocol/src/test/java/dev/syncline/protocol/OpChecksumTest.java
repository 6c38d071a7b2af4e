package dev.syncline.protocol;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OpChecksumTest {
    // Expected values computed independently (Python hashlib: first 4 bytes of SHA-256, little-endian).
    @Test
    void putHashesTypeIdAndData() {
        assertThat(OpChecksum.put("todos", "t1", "{\"id\":\"t1\"}")).isEqualTo(2546244963L);
        assertThat(OpChecksum.put("", "", "")).isEqualTo(3662376496L);
    }

    @Test
    void removeHashesTheSubkey() {
        assertThat(OpChecksum.remove("abc")).isEqualTo(4211150068L);
    }

    @Test
    void sumsWrapAt2Pow32AndStayUnsigned() {
        assertThat(OpChecksum.add(0xFFFF_FFFFL, 2)).isEqualTo(1);
        assertThat(OpChecksum.add(4211150068L, 2546244963L)).isEqualTo((4211150068L + 2546244963L) - (1L << 32));
        assertThat(OpChecksum.wrap(-1)).isEqualTo(0xFFFF_FFFFL);
    }
}
