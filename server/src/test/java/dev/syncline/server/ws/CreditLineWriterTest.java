package dev.syncline.server.ws;

import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.server.sync.LineWriter;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Credits, the bounded outbox and token expiry, on a hand-moved clock and a transport the test completes. */
class CreditLineWriterTest {
    final Instant start = Instant.parse("2026-12-01T00:00:00Z");
    volatile Instant now = start;
    final Clock clock = new Clock() {
        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    };

    /** Keeps every frame and its completion, like a peer that reads only when the test says so. */
    static final class HeldTransport implements Outbox.Transport {
        final List<Runnable> pending = new ArrayList<>();
        int sent;

        @Override public synchronized void send(ByteBuffer frame, Runnable done) {
            sent++;
            pending.add(done);
        }

        synchronized void completeAll() {
            pending.forEach(Runnable::run);
            pending.clear();
        }

        @Override public void close() { }
    }

    final HeldTransport transport = new HeldTransport();
    final Outbox.Gauges gauges = new Outbox.Gauges();
    final Outbox outbox = new Outbox(transport, 1024, gauges, clock);

    CompletableFuture<Void> writeAsync(CreditLineWriter writer) {
        return CompletableFuture.runAsync(() -> {
            try {
                writer.write(new SyncLine.TokenExpiresIn(60));
            } catch (java.io.IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, Thread.ofVirtual()::start); // its own thread: a writer that never returns blocks no pool
    }

    /** Regression: a client that withholds credits kept the stream (and its token) alive forever. */
    @Test
    void aWriterWaitingForCreditsStopsAtTokenExpiry() {
        CreditLineWriter writer = new CreditLineWriter(1, outbox, 0, start.plusSeconds(30), clock);
        CompletableFuture<Void> write = writeAsync(writer);
        now = start.plusSeconds(31);
        assertThatThrownBy(() -> write.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(LineWriter.TokenExpired.class);
        assertThat(transport.sent).isZero();
    }

    /** Regression: sends never waited, so an unlimited grant to a client that does not read queued everything. */
    @Test
    void unlimitedCreditsStillWaitForTheOutboxAndStopAtTokenExpiry() throws Exception {
        CreditLineWriter writer = new CreditLineWriter(1, outbox, Integer.MAX_VALUE, start.plusSeconds(30), clock);
        byte[] big = new byte[2048];
        while (outbox.queuedBytes() < 1024) {
            writer.write(new SyncLine.TokenExpiresIn(1));
            outbox.offer(ByteBuffer.wrap(big));
        }
        int sentWhenFull = transport.sent;
        CompletableFuture<Void> blocked = writeAsync(writer);
        assertThat(gauges.queuedBytes().get()).isGreaterThanOrEqualTo(1024);
        now = start.plusSeconds(31);
        assertThatThrownBy(() -> blocked.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(LineWriter.TokenExpired.class);
        assertThat(transport.sent).isEqualTo(sentWhenFull);
        assertThat(outbox.offer(ByteBuffer.wrap(big))).as("control frames are dropped while full").isFalse();
    }

    @Test
    void aWaitingWriterSendsOnceTheClientReadsAndCreditsSaturateAtUnbounded() throws Exception {
        CreditLineWriter writer = new CreditLineWriter(1, outbox, 1, start.plusSeconds(3600), clock);
        writer.write(new SyncLine.TokenExpiresIn(1));
        outbox.offer(ByteBuffer.wrap(new byte[2048]));
        writer.grant(Integer.MAX_VALUE);
        writer.grant(Integer.MAX_VALUE); // saturates: no overflow into "no credits"
        CompletableFuture<Void> waiting = writeAsync(writer);
        Thread.sleep(200);
        assertThat(waiting).isNotDone();
        transport.completeAll();
        waiting.get(20, TimeUnit.SECONDS);
        assertThat(gauges.queuedBytes().get()).isPositive(); // the new frame, not yet completed
        transport.completeAll();
        assertThat(gauges.queuedBytes().get()).isZero();
    }
}
