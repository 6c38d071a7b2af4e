package dev.syncline.server.sync;

import dev.syncline.protocol.sync.BucketRequest;
import dev.syncline.protocol.sync.SyncLine;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class SyncStreamProducerTest {
    final InMemoryBuckets storage = new InMemoryBuckets();
    final ProtocolClientModel client = new ProtocolClientModel();

    List<SyncLine> run(SyncStreamProducer producer, ConnectionCheckpoint checkpoint) {
        List<SyncLine> lines = new ArrayList<>();
        producer.onCheckpoint(checkpoint).forEachRemaining(line -> {
            lines.add(line);
            client.accept(line);
        });
        return lines;
    }

    static ConnectionCheckpoint checkpoint(InMemoryBuckets source, long opId, Long writeCheckpoint,
                                           Map<String, Integer> buckets) {
        return new ConnectionCheckpoint(opId, writeCheckpoint, buckets, source.bucketStates(opId, buckets.keySet()));
    }

    ConnectionCheckpoint at(Long writeCheckpoint, String... buckets) {
        Map<String, Integer> map = new HashMap<>();
        for (String b : buckets) {
            map.put(b, 3);
        }
        return checkpoint(storage, storage.nextOpId - 1, writeCheckpoint, map);
    }

    @Test
    void firstSyncSendsACheckpointThenEveryOpThenComplete() {
        storage.put("a[]", "1", "{\"id\":\"1\"}");
        storage.put("b[]", "2", "{\"id\":\"2\"}");
        storage.remove("a[]", "1");
        SyncStreamProducer producer = new SyncStreamProducer(storage, List.of(), 1000, 1 << 20);
        run(producer, at(null, "a[]", "b[]", "empty[]"));
        assertThat(client.events).containsExactly("checkpoint 3", "data a[] 2", "data b[] 1", "complete 3");
        assertThat(client.rows).containsEntry("b[]", Map.of("2", "{\"id\":\"2\"}"));
        assertThat(client.rows.getOrDefault("a[]", Map.of())).isEmpty();
    }

    @Test
    void aResumingClientGetsOnlyTheOpsAfterItsPosition() {
        storage.put("a[]", "1", "{}");
        storage.put("a[]", "2", "{}");
        storage.put("a[]", "3", "{}");
        SyncStreamProducer producer = new SyncStreamProducer(storage, List.of(new BucketRequest("a[]", 2)), 1000, 1 << 20);
        List<SyncLine> lines = new ArrayList<>();
        producer.onCheckpoint(at(null, "a[]")).forEachRemaining(lines::add);
        SyncLine.Data data = (SyncLine.Data) lines.get(1);
        assertThat(data.after()).isEqualTo(2);
        assertThat(data.data()).extracting(op -> op.opId()).containsExactly(3L);
    }

    @Test
    void laterCheckpointsSendDiffsOfChangedBucketsOnly() {
        storage.put("a[]", "1", "{}");
        storage.put("b[]", "1", "{}");
        SyncStreamProducer producer = new SyncStreamProducer(storage, List.of(), 1000, 1 << 20);
        run(producer, at(null, "a[]", "b[]"));
        storage.put("b[]", "2", "{}");
        int callsBefore = storage.opsCalls;
        List<SyncLine> lines = run(producer, at(null, "a[]", "b[]", "c[]"));
        assertThat(lines.getFirst()).isInstanceOfSatisfying(SyncLine.CheckpointDiff.class, d -> {
            assertThat(d.updatedBuckets()).extracting(b -> b.bucket()).containsExactly("b[]", "c[]");
            assertThat(d.removedBuckets()).isEmpty();
        });
        assertThat(storage.opsCalls - callsBefore).as("only the changed bucket is read").isEqualTo(1);
        lines = run(producer, at(null, "b[]"));
        assertThat(lines).containsExactly(new SyncLine.CheckpointDiff(3, null, List.of(), List.of("a[]", "c[]")),
                new SyncLine.CheckpointComplete(3));
        assertThat(client.rows).doesNotContainKey("a[]");
    }

    @Test
    void nothingChangedMeansNoLinesAndAWriteCheckpointAloneIsAnEmptyDiff() {
        storage.put("a[]", "1", "{}");
        SyncStreamProducer producer = new SyncStreamProducer(storage, List.of(), 1000, 1 << 20);
        run(producer, at(null, "a[]"));
        assertThat(run(producer, at(null, "a[]"))).isEmpty();
        assertThat(run(producer, at(7L, "a[]"))).containsExactly(
                new SyncLine.CheckpointDiff(1, 7L, List.of(), List.of()), new SyncLine.CheckpointComplete(1));
        assertThat(client.writeCheckpoint).isEqualTo(7L);
    }

    @Test
    void bigBucketsGoOutInBoundedChunksWithHonestHasMore() {
        for (int i = 0; i < 2000; i++) {
            storage.put("a[]", "r" + i, "{}");
        }
        SyncStreamProducer producer = new SyncStreamProducer(storage, List.of(), 1000, 1 << 20);
        List<SyncLine> lines = run(producer, at(null, "a[]"));
        List<SyncLine.Data> data = lines.stream().filter(SyncLine.Data.class::isInstance).map(SyncLine.Data.class::cast).toList();
        assertThat(data).extracting(SyncLine.Data::hasMore).containsExactly(true, false);
        assertThat(data).extracting(d -> d.data().size()).containsExactly(1000, 1000);
        assertThat(data.get(1).after()).isEqualTo(data.get(0).nextAfter());
    }

    @Test
    void linesStayUnderTheByteBudget() {
        String big = "{\"v\":\"" + "x".repeat(400_000) + "\"}";
        for (int i = 0; i < 5; i++) {
            storage.put("a[]", "r" + i, big);
        }
        SyncStreamProducer producer = new SyncStreamProducer(storage, List.of(), 1000, 1_000_000);
        List<SyncLine> lines = run(producer, at(null, "a[]"));
        assertThat(lines.stream().filter(SyncLine.Data.class::isInstance).map(l -> ((SyncLine.Data) l).data().size()))
                .containsExactly(2, 2, 1);
    }

    @Test
    void priorityGroupsEndWithPartialCompletesInOrder() {
        storage.put("low[]", "1", "{}");
        storage.put("high[]", "2", "{}");
        storage.put("mid[]", "3", "{}");
        SyncStreamProducer producer = new SyncStreamProducer(storage, List.of(), 1000, 1 << 20);
        run(producer, checkpoint(storage, 3, null, Map.of("low[]", 3, "high[]", 0, "mid[]", 1)));
        assertThat(client.events).containsExactly("checkpoint 3", "data high[] 1", "partial 0", "data mid[] 1",
                "partial 1", "data low[] 1", "complete 3");
    }

    @Test
    void randomHistoriesConvergeWithMatchingChecksums() {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            InMemoryBuckets server = new InMemoryBuckets();
            ProtocolClientModel c = new ProtocolClientModel();
            SyncStreamProducer producer = new SyncStreamProducer(server, List.of(), 1 + random.nextInt(20), 1 << 20);
            Map<String, Map<String, String>> expected = new TreeMap<>();
            List<String> granted = new ArrayList<>(List.of("b0[]", "b1[]", "b2[]"));
            for (int step = 0; step < 20; step++) {
                for (int i = random.nextInt(30); i > 0; i--) {
                    String bucket = "b" + random.nextInt(4) + "[]";
                    String id = "r" + random.nextInt(15);
                    if (random.nextInt(4) == 0) {
                        server.remove(bucket, id);
                        expected.computeIfAbsent(bucket, b -> new TreeMap<>()).remove(id);
                    } else {
                        String data = "{\"v\":" + random.nextInt() + "}";
                        server.put(bucket, id, data);
                        expected.computeIfAbsent(bucket, b -> new TreeMap<>()).put(id, data);
                    }
                }
                if (random.nextInt(5) == 0) {   // access granted or revoked
                    String b = "b" + random.nextInt(4) + "[]";
                    if (!granted.remove(b)) {
                        granted.add(b);
                    }
                }
                Map<String, Integer> buckets = new HashMap<>();
                granted.forEach(b -> buckets.put(b, random.nextInt(4)));
                producer.onCheckpoint(checkpoint(server, server.nextOpId - 1, null, buckets)).forEachRemaining(c::accept);
                for (String b : granted) {
                    assertThat(c.rows.getOrDefault(b, Map.of())).as("round %d step %d bucket %s", round, step, b)
                            .isEqualTo(expected.getOrDefault(b, Map.of()));
                }
                assertThat(c.rows.keySet()).isSubsetOf(granted);
            }
        }
    }

    @Test
    void oneReaderServesAWholeCheckpointAndIsClosedWhenDoneOrAbandoned() {
        for (int i = 0; i < 2500; i++) {
            storage.put("a[]", Integer.toString(i), "{}");
        }
        int[] opened = {0};
        int[] closed = {0};
        BucketDataSource counting = new BucketDataSource() {
            @Override
            public java.util.List<dev.syncline.protocol.sync.OplogEntry> ops(String bucket, long after, long upTo, int limit) {
                throw new AssertionError("the producer reads through its reader");
            }

            @Override
            public Reader reader() {
                opened[0]++;
                Reader inner = storage.reader();
                return new Reader() {
                    @Override
                    public java.util.List<dev.syncline.protocol.sync.OplogEntry> ops(String bucket, long after, long upTo, int limit) {
                        return inner.ops(bucket, after, upTo, limit);
                    }

                    @Override
                    public void close() {
                        closed[0]++;
                    }
                };
            }
        };
        SyncStreamProducer drained = new SyncStreamProducer(counting, List.of(), 1000, 1 << 20);
        List<SyncLine> lines = new ArrayList<>();
        drained.onCheckpoint(at(null, "a[]")).forEachRemaining(lines::add);
        assertThat(lines).hasSize(5); // checkpoint, three data lines, complete
        assertThat(opened[0]).isEqualTo(1);
        assertThat(closed[0]).as("closed with the last line").isEqualTo(1);

        SyncStreamProducer abandoned = new SyncStreamProducer(counting, List.of(), 1000, 1 << 20);
        try (SyncStreamProducer.Lines some = abandoned.onCheckpoint(at(null, "a[]"))) {
            some.next();
            some.next(); // the client goes away after the first data line
        }
        assertThat(opened[0]).isEqualTo(2);
        assertThat(closed[0]).as("closed by close()").isEqualTo(2);
    }
}
