package dev.syncline.server.storage;

import dev.syncline.protocol.OpId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Checkpoints heard from another node are announced once each, in order, beside the writer's own. */
class CheckpointListenersTest {
    private static Checkpoint cp(long op, long position) {
        return new Checkpoint(new OpId(op), new CommitPosition(position));
    }

    @Test
    void aCheckpointHeardTwiceOrLateIsNotAnnouncedAgain() {
        CheckpointListeners listeners = new CheckpointListeners(cp(5, 50));
        List<Checkpoint> announced = new ArrayList<>();
        listeners.subscribe(announced::add);

        assertThat(listeners.announceIfNewer(cp(5, 50), CheckpointChanges.UNKNOWN)).isFalse();   // the latest already
        assertThat(listeners.announceIfNewer(cp(7, 70), CheckpointChanges.UNKNOWN)).isTrue();
        assertThat(listeners.announceIfNewer(cp(6, 60), CheckpointChanges.UNKNOWN)).isFalse();   // late
        assertThat(listeners.announceIfNewer(cp(7, 80), CheckpointChanges.UNKNOWN)).isTrue();    // no ops, position moved
        assertThat(listeners.announceIfNewer(cp(7, 80), CheckpointChanges.UNKNOWN)).isFalse();   // heard twice

        assertThat(announced).containsExactly(cp(7, 70), cp(7, 80));
        assertThat(listeners.latest()).contains(cp(7, 80));
    }

    @Test
    void theFirstCheckpointOfAnEmptyStorageIsAnnounced() {
        CheckpointListeners listeners = new CheckpointListeners(null);
        assertThat(listeners.announceIfNewer(cp(1, 10), CheckpointChanges.UNKNOWN)).isTrue();
        assertThat(listeners.latest()).contains(cp(1, 10));
    }
}
