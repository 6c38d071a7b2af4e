package dev.syncline.server.sync;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.server.storage.OpRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class BucketStateCacheTest {

    /** A bucket log as storage holds it: op id, checksum, and whether compaction made it a CLEAR. */
    record Op(long id, long checksum, boolean clear) {}

    /** Storage stand-in that sums its logs and counts how it was asked. */
    static final class Logs implements BucketStateCache.Loader {
        final Map<String, List<Op>> logs = new HashMap<>();
        long nextId = 1;
        int fullReads;
        int rangeReads;

        long append(String bucket, long checksum) {
            long id = nextId++;
            logs.computeIfAbsent(bucket, b -> new ArrayList<>()).add(new Op(id, checksum, false));
            return id;
        }

        /** What compaction does: ops up to {@code upTo} become one CLEAR with their sum, at the last one's id. */
        void clearPrefix(String bucket, long upTo) {
            List<Op> log = logs.get(bucket);
            long sum = 0;
            long last = 0;
            List<Op> rest = new ArrayList<>();
            for (Op op : log) {
                if (op.id <= upTo) {
                    sum = OpChecksum.add(sum, op.checksum);
                    last = op.id;
                } else {
                    rest.add(op);
                }
            }
            rest.addFirst(new Op(last, sum, true));
            logs.put(bucket, rest);
        }

        OpRange sum(String bucket, long after, long upTo) {
            long sum = 0;
            long count = 0;
            long last = 0;
            boolean clear = false;
            for (Op op : logs.getOrDefault(bucket, List.of())) {
                if (op.id > after && op.id <= upTo) {
                    sum = OpChecksum.add(sum, op.checksum);
                    count++;
                    last = op.id;
                    clear |= op.clear;
                }
            }
            return new OpRange(sum, count, last, clear);
        }

        @Override
        public OpRange stateAt(String bucket, long opId) {
            fullReads++;
            OpRange r = sum(bucket, 0, opId);
            return new OpRange(r.checksum(), r.count(), r.lastOpId(), false);
        }

        @Override
        public OpRange opRange(String bucket, long after, long upTo) {
            rangeReads++;
            return sum(bucket, after, upTo);
        }

        BucketDataSource.BucketState truth(String bucket, long opId) {
            OpRange r = sum(bucket, 0, opId);
            return new BucketDataSource.BucketState(r.checksum(), r.count(), r.lastOpId());
        }
    }

    final Logs logs = new Logs();
    final AtomicLong clock = new AtomicLong();
    final BucketStateCache cache = new BucketStateCache(1000, 60_000_000_000L, clock::get);

    @Test
    void manyConnectionsAtOneCheckpointCostOneReadPerBucket() {
        logs.append("a", 10);
        long cp = logs.append("b", 20);
        for (int connection = 0; connection < 100; connection++) {
            assertThat(cache.get("a", cp, logs)).isEqualTo(logs.truth("a", cp));
            assertThat(cache.get("b", cp, logs)).isEqualTo(logs.truth("b", cp));
        }
        assertThat(logs.fullReads).isEqualTo(2);
        assertThat(logs.rangeReads).isZero();
        assertThat(cache.hits()).isEqualTo(198);
    }

    @Test
    void aNewCheckpointMovesEachBucketOnWithOneRangeReadAndStaysExact() {
        Random random = new Random(5);
        long cp = 0;
        for (int checkpoint = 0; checkpoint < 50; checkpoint++) {
            for (int i = 0; i < random.nextInt(1, 6); i++) {
                cp = logs.append("b" + random.nextInt(3), random.nextLong(0, 1L << 32));
            }
            int rangeBefore = logs.rangeReads;
            for (int connection = 0; connection < 10; connection++) {
                for (int b = 0; b < 3; b++) {
                    assertThat(cache.get("b" + b, cp, logs)).isEqualTo(logs.truth("b" + b, cp));
                }
            }
            if (checkpoint > 0) {
                assertThat(logs.rangeReads - rangeBefore).as("one range read per bucket, for all 10 connections").isEqualTo(3);
            }
        }
        assertThat(logs.fullReads).as("only the first checkpoint reads in full").isEqualTo(3);
    }

    @Test
    void aClearInsideTheRangeFallsBackToAFullReadSoNothingIsCountedTwice() {
        logs.append("a", 5);
        long first = logs.append("a", 7);
        cache.get("a", first, logs);
        long mid = logs.append("a", 11);
        long second = logs.append("a", 13);
        logs.clearPrefix("a", mid); // folds ops before and after `first` into one CLEAR at `mid`
        BucketDataSource.BucketState state = cache.get("a", second, logs);
        assertThat(state.checksum()).isEqualTo(OpChecksum.wrap(5 + 7 + 11 + 13));
        assertThat(state).isEqualTo(logs.truth("a", second));
        assertThat(logs.fullReads).isEqualTo(2);
    }

    @Test
    void aClearBelowTheCachedCheckpointKeepsIncrementalSumsExact() {
        logs.append("a", 5);
        long first = logs.append("a", 7);
        cache.get("a", first, logs);
        logs.clearPrefix("a", first);
        long second = logs.append("a", 13);
        assertThat(cache.get("a", second, logs).checksum()).isEqualTo(logs.truth("a", second).checksum());
        assertThat(logs.fullReads).isEqualTo(1);
    }

    @Test
    void entriesAreReadInFullAgainAfterTheRefreshIntervalSoCountsCatchUpWithCompaction() {
        logs.append("a", 5);
        long first = logs.append("a", 7);
        cache.get("a", first, logs);
        logs.clearPrefix("a", first); // two ops became one: the count shrinks, the checksum does not
        long second = logs.append("a", 13);
        clock.addAndGet(61_000_000_000L);
        assertThat(cache.get("a", second, logs)).isEqualTo(logs.truth("a", second));
        assertThat(logs.truth("a", second).count()).isEqualTo(2);
    }

    @Test
    void aConnectionOnAnOlderViewDoesNotMoveTheEntryBack() {
        long old = logs.append("a", 1);
        long newer = logs.append("a", 2);
        cache.get("a", newer, logs);
        assertThat(cache.get("a", old, logs)).isEqualTo(logs.truth("a", old));
        int reads = logs.fullReads + logs.rangeReads;
        assertThat(cache.get("a", newer, logs)).isEqualTo(logs.truth("a", newer));
        assertThat(logs.fullReads + logs.rangeReads).as("the newer entry is still cached").isEqualTo(reads);
    }

    @Test
    void staysWithinItsBound() {
        long cp = logs.append("x", 1);
        for (int b = 0; b < 5000; b++) {
            cache.get("bucket" + b, cp, logs);
            assertThat(cache.size()).isLessThanOrEqualTo(1000);
        }
        assertThat(cache.get("bucket4999", cp, logs)).isEqualTo(BucketDataSource.BucketState.EMPTY);
    }
}
