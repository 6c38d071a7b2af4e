package dev.syncline.server.sync;

import dev.syncline.protocol.sync.BucketChecksum;
import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.SyncLine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A session on a real {@link GenerationFeed} skips changes outside its interest without evaluating
 * its scope, and still sends exactly the right lines when a change of its own comes later.
 */
class SyncSessionSkipTest {
    static final String LOOKUP = Interest.lookupTopic("[\"members\",0,\"alice\"]");

    final InMemoryBuckets storage = new InMemoryBuckets();
    final GenerationFeed feed = new GenerationFeed();
    final BlockingQueue<SyncLine> lines = new LinkedBlockingQueue<>();
    final AtomicInteger evaluations = new AtomicInteger();
    /** What alice's rules grant now; changed by the test like a membership row. */
    volatile String granted = "l1[]";
    Thread session;

    ConnectionCheckpoint aliceScope() {
        evaluations.incrementAndGet();
        long opId = storage.lastOpId();
        String bucket = granted;
        return new ConnectionCheckpoint(opId, null, Map.of(bucket, 3), storage.bucketStates(opId, List.of(bucket)),
                new Interest(Set.of(bucket, LOOKUP), false));
    }

    void start() {
        SyncStreamProducer producer = new SyncStreamProducer(storage, List.of(), 1000, 1 << 20);
        SyncSession s = new SyncSession(producer, feed, this::aliceScope, Instant.now().plusSeconds(3600), Clock.systemUTC());
        session = Thread.ofVirtual().start(() -> {
            try {
                s.run(new LineWriter() {
                    @Override public void write(SyncLine line) { lines.add(line); }
                    @Override public void flush() { }
                });
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (session != null) {
            session.interrupt();
            session.join();
        }
    }

    /** Lines up to and including the next checkpoint_complete, keepalives left out. */
    List<SyncLine> nextCheckpoint() throws InterruptedException {
        List<SyncLine> out = new ArrayList<>();
        while (true) {
            SyncLine line = lines.poll(30, TimeUnit.SECONDS);
            assertThat(line).as("a line within 30 s (got so far: %s)", out).isNotNull();
            if (line instanceof SyncLine.TokenExpiresIn) {
                continue;
            }
            out.add(line);
            if (line instanceof SyncLine.CheckpointComplete) {
                return out;
            }
        }
    }

    static BucketChecksum checksum(InMemoryBuckets s, String bucket, long opId) {
        var state = s.bucketStates(opId, List.of(bucket)).get(bucket);
        return new BucketChecksum(bucket, state.checksum(), state.count(), 3);
    }

    @Test
    void checkpointsOfOtherBucketsAreSkippedAndTheNextOwnChangeArrivesWhole() throws Exception {
        long first = storage.put("l1[]", "t1", "{\"id\":\"t1\"}");
        start();
        assertThat(nextCheckpoint()).hasSize(3).first().isInstanceOf(SyncLine.Checkpoint.class);

        for (int i = 0; i < 50; i++) {
            storage.put("l2[]", "x" + i, "{}");
            feed.publish(Set.of("l2[]"));
            // Give the session the chance to (wrongly) evaluate each one on its own; correct code
            // passes whatever the timing, a session that evaluated every change would count ~50.
            Thread.sleep(5);
        }
        long own = storage.put("l1[]", "t2", "{\"id\":\"t2\"}");
        feed.publish(Set.of("l1[]", "l2[]"));

        List<SyncLine> diff = nextCheckpoint();
        assertThat(diff).hasSize(3);
        assertThat(diff.get(0)).isEqualTo(new SyncLine.CheckpointDiff(own, null, List.of(checksum(storage, "l1[]", own)), List.of()));
        SyncLine.Data data = (SyncLine.Data) diff.get(1);
        assertThat(data.bucket()).isEqualTo("l1[]");
        assertThat(data.after()).isEqualTo(first);
        assertThat(data.data()).extracting(OplogEntry::opId).containsExactly(own);
        assertThat(diff.get(2)).isEqualTo(new SyncLine.CheckpointComplete(own));
        assertThat(evaluations.get()).as("the first sync and the one change of its own").isEqualTo(2);
        assertThat(lines).allMatch(l -> l instanceof SyncLine.TokenExpiresIn);
    }

    @Test
    void aChangedLookupRevokesAndGrantsAtTheNextCheckpoint() throws Exception {
        storage.put("l1[]", "t1", "{}");
        long other = storage.put("l2[]", "t9", "{}");
        start();
        nextCheckpoint();

        granted = "l2[]";
        feed.publish(Set.of(LOOKUP));

        List<SyncLine> diff = nextCheckpoint();
        assertThat(diff.get(0)).isEqualTo(new SyncLine.CheckpointDiff(other, null,
                List.of(checksum(storage, "l2[]", other)), List.of("l1[]")));
        assertThat(((SyncLine.Data) diff.get(1)).bucket()).isEqualTo("l2[]");
        assertThat(diff.getLast()).isEqualTo(new SyncLine.CheckpointComplete(other));

        // The old bucket is no longer of interest: its changes are skipped from now on.
        storage.put("l1[]", "t2", "{}");
        feed.publish(Set.of("l1[]"));
        long mine = storage.put("l2[]", "t10", "{}");
        feed.publish(Set.of("l2[]"));
        assertThat(nextCheckpoint().getFirst()).isEqualTo(new SyncLine.CheckpointDiff(mine, null,
                List.of(checksum(storage, "l2[]", mine)), List.of()));
        assertThat(evaluations.get()).isEqualTo(3);
    }
}
