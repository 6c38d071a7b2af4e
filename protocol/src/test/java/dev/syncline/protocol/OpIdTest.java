package dev.syncline.protocol;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpIdTest {
    @Test
    void wireFormIsADecimalStringThatRoundTrips() {
        assertThat(new OpId(9_007_199_254_740_993L).toWireString()).isEqualTo("9007199254740993");
        assertThat(OpId.parse("9223372036854775807")).isEqualTo(new OpId(Long.MAX_VALUE));
        assertThat(OpId.parse("0")).isEqualTo(OpId.ZERO);
    }

    @Test
    void rejectsWhatIsNotAnOpId() {
        for (String bad : new String[] {"", "-1", "1.5", " 1", "9223372036854775808", "0x10"}) {
            assertThatThrownBy(() -> OpId.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> new OpId(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ordersNumerically() {
        assertThat(OpId.parse("10")).isGreaterThan(OpId.parse("9"));
        assertThat(new OpId(3).next()).isEqualTo(new OpId(4));
    }
}
