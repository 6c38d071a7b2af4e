package dev.syncline.server.upload;

import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.server.sync.SyncException;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerifiedTokenCacheTest {
    private static final Instant T0 = Instant.parse("2026-12-07T04:00:00Z");

    /** A clock the test moves. */
    private static final class Now extends Clock {
        Instant now = T0;

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /** Accepts "Bearer <user>" until its expiry (T0 + 10 minutes, or what {@code expiry} says), refuses after. */
    private static final class Verifier implements Authenticator {
        final List<String> verified = new ArrayList<>();
        final Now clock;
        Instant expiry = T0.plus(Duration.ofMinutes(10));

        Verifier(Now clock) {
            this.clock = clock;
        }

        @Override
        public AuthenticatedUser authenticate(String header) {
            verified.add(header);
            if (header == null || !header.startsWith("Bearer ") || !clock.now.isBefore(expiry)) {
                throw new SyncException("PSYNC_S2103", 401, "token expired or missing");
            }
            String user = header.substring(7);
            return new AuthenticatedUser(user, "{\"sub\":\"" + user + "\"}", expiry);
        }
    }

    private final Now clock = new Now();
    private final Verifier verifier = new Verifier(clock);
    private final VerifiedTokenCache cache = new VerifiedTokenCache(verifier, clock);

    @Test
    void aTokenIsVerifiedOnceWhileItIsValid() {
        assertThat(cache.authenticate("Bearer alice").userId()).isEqualTo("alice");
        clock.now = T0.plusSeconds(30);
        assertThat(cache.authenticate("Bearer alice").userId()).isEqualTo("alice");
        assertThat(cache.authenticate("Bearer bob").userId()).isEqualTo("bob");
        assertThat(verifier.verified).containsExactly("Bearer alice", "Bearer bob");
    }

    @Test
    void aCachedTokenIsRefusedOnceItHasExpired() {
        verifier.expiry = T0.plusSeconds(20);
        cache.authenticate("Bearer alice");
        clock.now = T0.plusSeconds(19);
        cache.authenticate("Bearer alice");
        assertThat(verifier.verified).hasSize(1);
        clock.now = T0.plusSeconds(20);
        assertThatThrownBy(() -> cache.authenticate("Bearer alice")).isInstanceOf(SyncException.class);
        assertThatThrownBy(() -> cache.authenticate("Bearer alice")).isInstanceOf(SyncException.class);
        assertThat(verifier.verified).hasSize(3);
    }

    @Test
    void aTokenIsVerifiedAgainAfterAMinuteSoAWithdrawnKeyStopsAcceptingIt() {
        cache.authenticate("Bearer alice");
        clock.now = T0.plus(VerifiedTokenCache.MAX_AGE).minusMillis(1);
        cache.authenticate("Bearer alice");
        assertThat(verifier.verified).hasSize(1);
        clock.now = T0.plus(VerifiedTokenCache.MAX_AGE);
        cache.authenticate("Bearer alice");
        assertThat(verifier.verified).hasSize(2);
    }

    @Test
    void aRefusedTokenIsNeverRemembered() {
        assertThatThrownBy(() -> cache.authenticate("Token nonsense")).isInstanceOf(SyncException.class);
        assertThatThrownBy(() -> cache.authenticate("Token nonsense")).isInstanceOf(SyncException.class);
        assertThatThrownBy(() -> cache.authenticate(null)).isInstanceOf(SyncException.class);
        assertThat(verifier.verified).hasSize(3);
    }
}
