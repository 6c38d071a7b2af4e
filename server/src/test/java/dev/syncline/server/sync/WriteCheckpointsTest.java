package dev.syncline.server.sync;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.WriteCheckpointStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WriteCheckpointsTest {
    final List<String> log = new ArrayList<>();
    long wal = 100;
    final InMemoryWriteCheckpointStore memory = new InMemoryWriteCheckpointStore();
    final WriteCheckpointStore store = new WriteCheckpointStore() {
        @Override
        public void record(String userId, String clientId, long value, CommitPosition lsn) {
            log.add("record " + value + "@" + lsn.value());
            memory.record(userId, clientId, value, lsn);
        }

        @Override public long latest(String userId, String clientId) { return memory.latest(userId, clientId); }

        @Override
        public java.util.Optional<Long> reached(String userId, String clientId, CommitPosition replicated) {
            return memory.reached(userId, clientId, replicated);
        }
    };
    final WriteCheckpoints checkpoints = new WriteCheckpoints(store, new SourcePosition() {
        @Override public CommitPosition current() { return new CommitPosition(wal); }
        @Override public void emitMarker(String content) { log.add("emit " + content); wal += 10; }
    });

    @Test
    void theMappingIsStoredBeforeTheMarkerIsWritten() {
        assertThat(checkpoints.create("alice", "c1")).isEqualTo(1);
        assertThat(log).containsExactly("record 1@100", "emit 1");
    }

    @Test
    void countersArePerUserAndClientAndReachedFollowsReplication() {
        assertThat(checkpoints.create("alice", "c1")).isEqualTo(1);   // at 100
        assertThat(checkpoints.create("alice", "c1")).isEqualTo(2);   // at 110
        assertThat(checkpoints.create("bob", "c1")).isEqualTo(1);
        assertThat(checkpoints.reached("alice", "c1", new CommitPosition(99))).isEmpty();
        assertThat(checkpoints.reached("alice", "c1", new CommitPosition(100))).contains(1L);
        assertThat(checkpoints.reached("alice", "c1", new CommitPosition(115))).contains(2L);
        assertThat(checkpoints.reached("alice", "c2", new CommitPosition(500))).isEmpty();
        assertThat(checkpoints.reached("alice", null, new CommitPosition(500))).isEmpty();
    }

    @Test
    void checkpointRequestsKeepTheMaximum() {
        assertThat(checkpoints.request("alice", "c1", 5)).isEqualTo(5);
        assertThat(checkpoints.request("alice", "c1", 3)).isEqualTo(5);
        assertThat(checkpoints.request("alice", "c1", 9)).isEqualTo(9);
    }
}
