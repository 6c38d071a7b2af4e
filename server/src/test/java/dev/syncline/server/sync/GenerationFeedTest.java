package dev.syncline.server.sync;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerationFeedTest {
    final GenerationFeed feed = new GenerationFeed();

    @Test
    void oneBumpWakesEveryWaiter() throws Exception {
        int waiters = 2000;
        CountDownLatch waiting = new CountDownLatch(waiters);
        CountDownLatch woken = new CountDownLatch(waiters);
        AtomicInteger sawChange = new AtomicInteger();
        long before = feed.generation();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                waiting.countDown();
                try {
                    if (feed.awaitChange(before, Duration.ofMinutes(1)) > before) {
                        sawChange.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                woken.countDown();
            }));
        }
        assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();
        feed.bump();
        assertThat(woken.await(30, TimeUnit.SECONDS)).as("every waiter returned well before its timeout").isTrue();
        assertThat(sawChange.get()).isEqualTo(waiters);
    }

    @Test
    void aChangeBeforeTheCallIsNotMissed() throws Exception {
        long seen = feed.generation();
        feed.bump();
        assertThat(feed.awaitChange(seen, Duration.ofMinutes(1))).isEqualTo(seen + 1);
    }

    @Test
    void returnsTheSameGenerationAfterTheTimeout() throws Exception {
        long seen = feed.generation();
        assertThat(feed.awaitChange(seen, Duration.ofMillis(20))).isEqualTo(seen);
    }

    @Test
    void anInterruptedWaiterGetsInterruptedException() throws Exception {
        long seen = feed.generation();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> feed.awaitChange(seen, Duration.ofMinutes(1))).isInstanceOf(InterruptedException.class);
    }

    @Test
    void aWatchSkipsChangesToOtherTopicsAndMovesPastThem() throws Exception {
        try (CheckpointFeed.Watch w = feed.watch()) {
            w.interest(new Interest(Set.of("a[]"), false));
            long seen = feed.generation();
            feed.publish(Set.of("b[]"));
            feed.publish(Set.of("c[]", Interest.lookupTopic("k")));
            assertThat(w.await(seen, Duration.ofMillis(20))).isEqualTo(new CheckpointFeed.Wake(seen + 2, false));
            feed.publish(Set.of("a[]"));
            assertThat(w.await(seen + 2, Duration.ofMinutes(1))).isEqualTo(new CheckpointFeed.Wake(seen + 3, true));
        }
    }

    @Test
    void aChangePublishedBeforeTheInterestWasSetIsFoundInTheLog() throws Exception {
        try (CheckpointFeed.Watch w = feed.watch()) {
            long seen = feed.generation();
            feed.publish(Set.of("a[]"));
            w.interest(new Interest(Set.of("a[]"), false));
            assertThat(w.await(seen, Duration.ofMinutes(1))).isEqualTo(new CheckpointFeed.Wake(seen + 1, true));
        }
    }

    @Test
    void unknownChangesAndEveryCheckpointInterestsAreAlwaysRelevant() throws Exception {
        try (CheckpointFeed.Watch narrow = feed.watch(); CheckpointFeed.Watch waiting = feed.watch()) {
            narrow.interest(new Interest(Set.of("a[]"), false));
            waiting.interest(new Interest(Set.of("a[]"), true));
            long seen = feed.generation();
            feed.publish(Set.of("b[]"));
            assertThat(waiting.await(seen, Duration.ofMinutes(1)).relevant()).isTrue();
            feed.bump();
            assertThat(narrow.await(seen, Duration.ofMinutes(1))).isEqualTo(new CheckpointFeed.Wake(seen + 2, true));
        }
    }

    @Test
    void aWatchTooFarBehindTheLogEvaluatesAgain() throws Exception {
        try (CheckpointFeed.Watch w = feed.watch()) {
            w.interest(new Interest(Set.of("a[]"), false));
            long seen = feed.generation();
            for (int i = 0; i <= GenerationFeed.LOG_SIZE; i++) {
                feed.publish(Set.of("b[]"));
            }
            assertThat(w.await(seen, Duration.ofMinutes(1)).relevant()).isTrue();
        }
    }

    @Test
    void aNewInterestReplacesTheOldOne() throws Exception {
        try (CheckpointFeed.Watch w = feed.watch()) {
            w.interest(new Interest(Set.of("a[]"), false));
            w.interest(new Interest(Set.of("b[]"), false));
            long seen = feed.generation();
            feed.publish(Set.of("a[]"));
            assertThat(w.await(seen, Duration.ofMillis(20)).relevant()).isFalse();
        }
    }

    @Test
    void eachParkedWatchWakesForAChangeToItsOwnTopic() throws Exception {
        int watches = 300;
        // One watch with more topics than are indexed: it must still wake for one of them.
        Set<String> many = IntStream.range(0, GenerationFeed.MAX_INDEXED_TOPICS + 10).mapToObj(i -> "many" + i)
                .collect(Collectors.toSet());
        CountDownLatch parked = new CountDownLatch(watches + 1);
        CountDownLatch woken = new CountDownLatch(watches + 1);
        AtomicInteger relevant = new AtomicInteger();
        long seen = feed.generation();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i <= watches; i++) {
            Set<String> topics = i == watches ? many : Set.of("b" + i + "[]");
            threads.add(Thread.ofVirtual().start(() -> {
                try (CheckpointFeed.Watch w = feed.watch()) {
                    w.interest(new Interest(topics, false));
                    parked.countDown();
                    if (w.await(seen, Duration.ofMinutes(2)).relevant()) {
                        relevant.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                woken.countDown();
            }));
        }
        assertThat(parked.await(30, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < watches; i++) {
            feed.publish(Set.of("b" + i + "[]"));
        }
        feed.publish(Set.of("many7"));
        assertThat(woken.await(60, TimeUnit.SECONDS)).as("every watch returned well before its timeout").isTrue();
        assertThat(relevant.get()).isEqualTo(watches + 1);
    }

    @Test
    void aChangeTooLargeForTheLogIsRelevantToEveryone() throws Exception {
        try (CheckpointFeed.Watch w = feed.watch()) {
            w.interest(new Interest(Set.of("a[]"), false));
            long seen = feed.generation();
            feed.publish(IntStream.rangeClosed(0, GenerationFeed.MAX_LOGGED_TOPICS).mapToObj(i -> "b" + i + "[]")
                    .collect(Collectors.toSet()));
            assertThat(w.await(seen, Duration.ofMinutes(1))).isEqualTo(new CheckpointFeed.Wake(seen + 1, true));
            // Changes that fit are logged again once the large one is in the past.
            feed.publish(Set.of("c[]"));
            assertThat(w.await(seen + 1, Duration.ofMillis(20))).isEqualTo(new CheckpointFeed.Wake(seen + 2, false));
        }
    }

    @Test
    void theLogHoldsABoundedNumberOfTopicsInAll() throws Exception {
        int half = GenerationFeed.MAX_LOGGED_TOPICS / 2 + 1;
        try (CheckpointFeed.Watch w = feed.watch()) {
            w.interest(new Interest(Set.of("a[]"), false));
            long seen = feed.generation();
            feed.publish(IntStream.range(0, half).mapToObj(i -> "x" + i + "[]").collect(Collectors.toSet()));
            assertThat(w.await(seen, Duration.ofMillis(20)).relevant()).as("the first large change fits").isFalse();
            feed.publish(IntStream.range(0, half).mapToObj(i -> "y" + i + "[]").collect(Collectors.toSet()));
            assertThat(w.await(seen + 1, Duration.ofMinutes(1)).relevant()).as("the second does not").isTrue();
        }
    }
}
