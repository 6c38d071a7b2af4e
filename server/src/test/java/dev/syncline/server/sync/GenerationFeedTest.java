package dev.syncline.server.sync;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
}
