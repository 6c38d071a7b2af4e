package dev.syncline.server.sync;

import dev.syncline.protocol.sync.SyncLine;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The session loop on simulated time: waiting on the feed advances a hand-written clock. */
class SyncSessionTest {
    final Instant start = Instant.parse("2026-11-26T00:00:00Z");
    Instant now = start;
    final Clock clock = new Clock() {
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    };
    long generation;
    final CheckpointFeed quietFeed = new CheckpointFeed() {
        @Override public long generation() { return generation; }
        @Override public long awaitChange(long seen, Duration timeout) {
            now = now.plus(timeout);
            return generation;
        }
    };
    final InMemoryBuckets buckets = new InMemoryBuckets();

    List<SyncLine> run(ConnectionScope scope, Instant expiresAt) throws Exception {
        List<SyncLine> lines = new ArrayList<>();
        SyncSession.End end = new SyncSession(new SyncStreamProducer(buckets, List.of(), 1000, 1 << 20), quietFeed,
                scope, expiresAt, clock).run(new LineWriter() {
                    @Override public void write(SyncLine line) { lines.add(line); }
                    @Override public void flush() { }
                });
        lines.add(new SyncLine.TokenExpiresIn(end == SyncSession.End.TOKEN_EXPIRED ? -1 : -2));
        return lines;
    }

    @Test
    void keepalivesEvery20sAWarningBeforeExpiryAndZeroAtTheEnd() throws Exception {
        List<SyncLine> lines = run(() -> new ConnectionCheckpoint(0, null, Map.of(), Map.of()), start.plusSeconds(65));
        assertThat(lines).containsExactly(new SyncLine.TokenExpiresIn(65),
                new SyncLine.Checkpoint(0, null, List.of()), new SyncLine.CheckpointComplete(0),
                new SyncLine.TokenExpiresIn(45), new SyncLine.TokenExpiresIn(25), new SyncLine.TokenExpiresIn(20),
                new SyncLine.TokenExpiresIn(0), new SyncLine.TokenExpiresIn(-1));
    }

    @Test
    void aScopeThatFailsMidStreamEndsTheSessionQuietly() throws Exception {
        int[] calls = {0};
        ConnectionScope scope = () -> {
            if (calls[0]++ > 0) {
                throw new SyncException("PSYNC_S2305", 400, "too many buckets");
            }
            return new ConnectionCheckpoint(0, null, Map.of(), Map.of());
        };
        CheckpointFeed changing = new CheckpointFeed() {
            @Override public long generation() { return generation; }
            @Override public long awaitChange(long seen, Duration timeout) { return ++generation; }
        };
        List<SyncLine> lines = new ArrayList<>();
        SyncSession.End end = new SyncSession(new SyncStreamProducer(buckets, List.of(), 1000, 1 << 20), changing,
                scope, start.plusSeconds(3600), clock).run(new LineWriter() {
                    @Override public void write(SyncLine line) { lines.add(line); }
                    @Override public void flush() { }
                });
        assertThat(end).isEqualTo(SyncSession.End.SCOPE_FAILED);
        assertThat(lines).endsWith(new SyncLine.CheckpointComplete(0));
    }

    /** Regression: expiry was checked only between checkpoints, so a long data phase outlived its token. */
    @Test
    void aLongDataPhaseEndsAtTokenExpiryBeforeTheNextLine() throws Exception {
        for (int i = 0; i < 6; i++) {
            buckets.put("b[]", "r" + i, "{}");
        }
        ConnectionScope scope = () -> new ConnectionCheckpoint(buckets.lastOpId(), null, Map.of("b[]", 3),
                buckets.bucketStates(buckets.lastOpId(), List.of("b[]")));
        List<SyncLine> lines = new ArrayList<>();
        SyncSession.End end = new SyncSession(new SyncStreamProducer(buckets, List.of(), 1, 1 << 20), quietFeed,
                scope, start.plusSeconds(25), clock).run(new LineWriter() {
                    @Override public void write(SyncLine line) {
                        lines.add(line);
                        if (line instanceof SyncLine.Data) {
                            now = now.plusSeconds(10); // each data line takes the slow client 10 s
                        }
                    }
                    @Override public void flush() { }
                });
        assertThat(end).isEqualTo(SyncSession.End.TOKEN_EXPIRED);
        assertThat(lines.stream().filter(SyncLine.Data.class::isInstance)).as("data lines before expiry").hasSize(3);
        assertThat(lines.getLast()).isEqualTo(new SyncLine.TokenExpiresIn(0));
    }

    @Test
    void aWriterThatWaitedUntilExpiryEndsTheSessionAsExpired() throws Exception {
        SyncSession.End end = new SyncSession(new SyncStreamProducer(buckets, List.of(), 1000, 1 << 20), quietFeed,
                () -> new ConnectionCheckpoint(0, null, Map.of(), Map.of()), start.plusSeconds(3600), clock)
                .run(new LineWriter() {
                    @Override public void write(SyncLine line) throws java.io.IOException {
                        throw new LineWriter.TokenExpired();
                    }
                    @Override public void flush() { }
                });
        assertThat(end).isEqualTo(SyncSession.End.TOKEN_EXPIRED);
    }
}
