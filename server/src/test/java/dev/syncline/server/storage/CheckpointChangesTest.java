package dev.syncline.server.storage;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointChangesTest {

    @Test
    void collectsBucketsAndKeysUntilDrainedThenStartsOver() {
        CheckpointChanges.Collector c = new CheckpointChanges.Collector(10);
        c.bucket("a[]");
        c.bucket("a[]");
        c.lookupKey("[\"k\"]");
        assertThat(c.drain()).isEqualTo(new CheckpointChanges(Set.of("a[]"), Set.of("[\"k\"]")));
        assertThat(c.drain()).isEqualTo(new CheckpointChanges(Set.of(), Set.of()));
    }

    @Test
    void tooManyNamesBecomeUnknownSoMemoryStaysBounded() {
        CheckpointChanges.Collector c = new CheckpointChanges.Collector(3);
        for (int i = 0; i < 1000; i++) {
            c.bucket("b" + i);
        }
        assertThat(c.drain()).isEqualTo(CheckpointChanges.UNKNOWN);
        c.bucket("x[]");
        assertThat(c.drain().buckets()).containsExactly("x[]");
    }

    @Test
    void bucketsAndKeysAreKnownOrUnknownTogether() {
        assertThat(CheckpointChanges.UNKNOWN.known()).isFalse();
        assertThatThrownBy(() -> new CheckpointChanges(Set.of(), null)).isInstanceOf(IllegalArgumentException.class);
    }
}
