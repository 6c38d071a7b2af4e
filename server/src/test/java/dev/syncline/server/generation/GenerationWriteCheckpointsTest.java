package dev.syncline.server.generation;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.sync.InMemoryWriteCheckpointStore;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GenerationWriteCheckpointsTest {
    @Test
    void aWriteCheckpointHandedOutDuringTheBuildComesBackAfterTheSwitch() {
        InMemoryWriteCheckpointStore old = new InMemoryWriteCheckpointStore();
        InMemoryWriteCheckpointStore built = new InMemoryWriteCheckpointStore();
        GenerationWriteCheckpoints store = new GenerationWriteCheckpoints(old);
        store.record("alice", "c1", 1, new CommitPosition(100));
        store.building(built);
        store.record("alice", "c1", 2, new CommitPosition(200));
        assertThat(store.latest("alice", "c1")).isEqualTo(2);
        assertThat(store.reached("alice", "c1", new CommitPosition(250))).hasValue(2L);

        store.switchToBuilding();
        assertThat(store.reached("alice", "c1", new CommitPosition(250))).as("recorded in both").hasValue(2L);
        assertThat(store.latest("alice", "c1")).isEqualTo(2);
        store.record("alice", "c1", 3, new CommitPosition(300));
        assertThat(old.latest("alice", "c1")).as("the old generation's store is left alone").isEqualTo(2);
        assertThat(built.latest("alice", "c1")).isEqualTo(3);
    }
}
