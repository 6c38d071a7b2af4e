package dev.syncline.server.storage;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link WriteCheckpointStore} must do; one subclass per implementation. Every bucket
 * storage runs it on its {@link BucketStorage#writeCheckpoints()} ({@link BucketStorageContractTest}).
 */
public abstract class WriteCheckpointStoreContract {
    protected abstract WriteCheckpointStore store();

    @Test
    void latestAndReachedPerUserAndClient() {
        WriteCheckpointStore s = store();
        assertThat(s.latest("alice", "c1")).isZero();
        s.record("alice", "c1", 1, new CommitPosition(100));
        s.record("alice", "c1", 2, new CommitPosition(200));
        s.record("bob", "c1", 7, new CommitPosition(50));
        assertThat(s.latest("alice", "c1")).isEqualTo(2);
        assertThat(s.reached("alice", "c1", new CommitPosition(99))).isEmpty();
        assertThat(s.reached("alice", "c1", new CommitPosition(150))).contains(1L);
        assertThat(s.reached("alice", "c1", new CommitPosition(200))).contains(2L);
        assertThat(s.reached("alice", "c2", new CommitPosition(1000))).isEmpty();
        assertThat(s.reached("bob", "c1", new CommitPosition(1000))).contains(7L);
    }

    @Test
    void onlyTheNewestValuesAreKept() {
        WriteCheckpointStore s = store();
        for (int i = 1; i <= 40; i++) {
            s.record("alice", "c1", i, new CommitPosition(i * 10L));
        }
        assertThat(s.latest("alice", "c1")).isEqualTo(40);
        assertThat(s.reached("alice", "c1", new CommitPosition(400))).contains(40L);
        assertThat(s.reached("alice", "c1", new CommitPosition(15))).as("old values pruned").isEmpty();
    }

    /** Regression: every random client_id left a row that was never pruned. */
    @Test
    void onlyTheNewestClientsOfAUserAreKept() {
        WriteCheckpointStore s = store();
        int clients = WriteCheckpointStore.MAX_CLIENTS_PER_USER + 36;
        s.record("bob", "phone", 3, new CommitPosition(5));
        for (int i = 0; i < clients; i++) {
            s.record("alice", "c" + i, 1, new CommitPosition(10L + i));
        }
        assertThat(s.latest("alice", "c0")).as("oldest client dropped").isZero();
        assertThat(s.latest("alice", "c35")).isZero();
        assertThat(s.latest("alice", "c36")).isEqualTo(1);
        assertThat(s.latest("alice", "c" + (clients - 1))).isEqualTo(1);
        assertThat(s.latest("bob", "phone")).as("other users untouched").isEqualTo(3);
        // The client recorded last is kept even when its position ties with or trails the others.
        s.record("alice", "late", 1, new CommitPosition(1));
        assertThat(s.latest("alice", "late")).isEqualTo(1);
    }
}
