package dev.syncline.server.sync;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class PerUserRateLimitTest {
    Instant now = Instant.parse("2026-12-01T00:00:00Z");
    final Clock clock = new Clock() {
        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    };

    @Test
    void aBurstOfTheMinutesBudgetThenOneEveryShare() {
        PerUserRateLimit limit = new PerUserRateLimit(60, clock);
        for (int i = 0; i < 60; i++) {
            assertThat(limit.acquire("alice")).isZero();
        }
        assertThat(limit.acquire("alice")).isEqualTo(Duration.ofSeconds(1));
        assertThat(limit.acquire("bob")).as("users have their own budgets").isZero();
        now = now.plusMillis(1000);
        assertThat(limit.acquire("alice")).isZero();
        assertThat(limit.acquire("alice")).isPositive();
    }

    @Test
    void idleUsersAreForgottenBeyondTheTrackedMaximum() {
        PerUserRateLimit limit = new PerUserRateLimit(10, clock);
        for (int i = 0; i <= PerUserRateLimit.PRUNE_ABOVE; i++) {
            limit.acquire("u" + i);
        }
        now = now.plusSeconds(60); // every bucket refilled
        limit.acquire("late");
        assertThat(limit.tracked()).isEqualTo(1);
    }
}
