package dev.syncline.server.upload;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TimeoutAttemptsTest {
    @Test
    void countsPerTransactionUntilTheLimitThenStartsAgain() {
        TimeoutAttempts attempts = new TimeoutAttempts(2);
        TimeoutAttempts.Key a = new TimeoutAttempts.Key("alice", "c", 1);
        TimeoutAttempts.Key b = new TimeoutAttempts.Key("bob", "c", 1);
        assertThat(attempts.timedOut(a)).isOne();
        assertThat(attempts.timedOut(b)).isOne();
        assertThat(attempts.timedOut(a)).isEqualTo(2);
        assertThat(attempts.timedOut(a)).as("forgotten once rejected").isOne();
        attempts.settled(b);
        assertThat(attempts.timedOut(b)).as("applied in between: counted afresh").isOne();
    }

    @Test
    void keepsAtMostItsCapacityForgettingTheOldest() {
        TimeoutAttempts attempts = new TimeoutAttempts(3);
        TimeoutAttempts.Key first = new TimeoutAttempts.Key("u", "c", -1);
        attempts.timedOut(first);
        for (int i = 0; i < TimeoutAttempts.CAPACITY; i++) {
            attempts.timedOut(new TimeoutAttempts.Key("u", "c", i));
        }
        assertThat(attempts.timedOut(first)).isOne();
    }
}
