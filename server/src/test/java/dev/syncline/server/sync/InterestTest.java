package dev.syncline.server.sync;

import dev.syncline.server.storage.CheckpointChanges;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class InterestTest {
    final Interest alice = new Interest(Set.of("lists[\"l1\"]", Interest.lookupTopic("[\"by_user\",0,\"alice\"]")), false);

    @Test
    void aChangeMattersWhenItTouchesOneOfTheTopics() {
        assertThat(alice.matches(Set.of("lists[\"l2\"]"))).isFalse();
        assertThat(alice.matches(Set.of("lists[\"l2\"]", "lists[\"l1\"]"))).isTrue();
        assertThat(alice.matches(Set.of(Interest.lookupTopic("[\"by_user\",0,\"alice\"]")))).isTrue();
        assertThat(alice.matches(Set.of())).isFalse();
    }

    @Test
    void unknownChangesAndEveryCheckpointInterestsAlwaysMatch() {
        assertThat(alice.matches(null)).isTrue();
        assertThat(Interest.EVERYTHING.matches(Set.of())).isTrue();
        assertThat(new Interest(Set.of("a[]"), true).matches(Set.of("b[]"))).isTrue();
    }

    @Test
    void aBucketNamedLikeALookupKeyIsNotTheLookupKey() {
        String key = "[\"by_user\",0,\"alice\"]";
        Set<String> topics = Interest.topicsOf(new CheckpointChanges(Set.of(key), Set.of()));
        assertThat(alice.matches(topics)).isFalse();
        assertThat(alice.matches(Interest.topicsOf(new CheckpointChanges(Set.of(), Set.of(key))))).isTrue();
        assertThat(Interest.topicsOf(CheckpointChanges.UNKNOWN)).isNull();
    }
}
