package dev.syncline.server.storage.postgres;

import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.CheckpointChanges;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two storage instances on one schema, as two nodes open it: what the writing one commits is
 * announced on the other (with the changed buckets and lookup keys, or as unknown when only the
 * polling fallback saw it), and a write checkpoint recorded on one reaches the other's listeners.
 */
class CheckpointsAcrossNodesIT {
    private static PostgresTestServer server;
    private static TestDatabase db;

    @BeforeAll
    static void startServer() {
        server = PostgresTestServer.start();
        db = server.createDatabase();
    }

    @AfterAll
    static void stopServer() {
        db.close();
        server.close();
    }

    private static PostgresBucketStorage open(String schema) {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        return PostgresBucketStorage.open(db.jdbcUrl(), p, schema);
    }

    private record Announced(Checkpoint checkpoint, CheckpointChanges changes) {}

    @Test
    void aCheckpointCommittedByOneNodeIsAnnouncedOnAnotherWithWhatChanged() throws Exception {
        try (PostgresBucketStorage a = open("nodes_cp"); PostgresBucketStorage b = open("nodes_cp")) {
            BlockingQueue<Announced> onB = new LinkedBlockingQueue<>();
            b.checkpoints().subscribeWithChanges((cp, ch) -> onB.add(new Announced(cp, ch)));
            Checkpoint committed;
            try (WriteTransaction tx = a.writer().begin()) {
                tx.put(new Placement("lists[\"l1\"]", "todos", "t1"), "k1", "{}");
                committed = tx.commit(new CommitPosition(100), true).orElseThrow();
            }
            Announced first = onB.poll(10, TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(first.checkpoint()).isEqualTo(committed);
            assertThat(first.changes().known()).isTrue();
            assertThat(first.changes().buckets()).containsExactly("lists[\"l1\"]");
            assertThat(b.checkpoints().latest()).contains(committed);

            // a later one, then one the notification of which was missed (only the state row says it)
            try (WriteTransaction tx = a.writer().begin()) {
                tx.put(new Placement("lists[\"l2\"]", "todos", "t2"), "k2", "{}");
                committed = tx.commit(new CommitPosition(200), true).orElseThrow();
            }
            assertThat(onB.poll(10, TimeUnit.SECONDS).checkpoint()).isEqualTo(committed);
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("UPDATE nodes_cp.state SET checkpoint_position = 300 WHERE id = 1");
            }
            Announced polled = onB.poll(10, TimeUnit.SECONDS);
            assertThat(polled).isNotNull();
            assertThat(polled.checkpoint().position().value()).isEqualTo(300);
            assertThat(polled.changes()).isEqualTo(CheckpointChanges.UNKNOWN);
            assertThat(onB.poll(1500, TimeUnit.MILLISECONDS)).as("each checkpoint once").isNull();
        }
    }

    @Test
    void aWriteCheckpointRecordedOnOneNodeReachesTheOthersListenersOnly() throws Exception {
        try (PostgresBucketStorage a = open("nodes_wc"); PostgresBucketStorage b = open("nodes_wc")) {
            BlockingQueue<List<String>> onA = new LinkedBlockingQueue<>();
            BlockingQueue<List<String>> onB = new LinkedBlockingQueue<>();
            a.writeCheckpoints().subscribeRecordedElsewhere((u, c) -> onA.add(List.of(u, c)));
            b.writeCheckpoints().subscribeRecordedElsewhere((u, c) -> onB.add(List.of(u, c)));
            a.writeCheckpoints().record("alice", "c-1", 1, new CommitPosition(500));
            assertThat(onB.poll(10, TimeUnit.SECONDS)).containsExactly("alice", "c-1");
            assertThat(b.writeCheckpoints().latest("alice", "c-1")).isEqualTo(1);
            assertThat(onA.poll(1500, TimeUnit.MILLISECONDS)).as("its own node knew already").isNull();
        }
    }
}
