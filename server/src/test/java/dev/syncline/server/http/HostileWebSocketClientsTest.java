package dev.syncline.server.http;

import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.server.sync.SyncException;
import dev.syncline.server.ws.RSocketCodec;
import dev.syncline.server.ws.RSocketFrame;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile WebSocket clients against a real server (RELIABILITY.md, failure class 18): sockets that
 * never authenticate, frames sent instead of SETUP, and a client that grants unlimited credits on a
 * large bucket and never reads. Scaled for CI; the full size (1,000 anonymous sockets and a
 * 500 MB bucket) is the same test with {@code -Dhostile.bucketMb=500} (docs/benchmarks.md).
 */
class HostileWebSocketClientsTest {
    static final int ANONYMOUS = Integer.getInteger("hostile.anonymous", 1000);
    static final int BUCKET_MB = Integer.getInteger("hostile.bucketMb", 256);
    static final long MAX_HEAP_GROWTH = 100L << 20;

    final FakeBackend backend = new FakeBackend();
    final List<RawWebSocket> sockets = new ArrayList<>();
    SyncHttpServer server;

    void start(Duration setupTimeout) {
        Authenticator auth = header -> {
            if (header == null || !header.startsWith("Token user-")) {
                throw new SyncException("PSYNC_S2106", 401, "missing or malformed token");
            }
            return new AuthenticatedUser(header.substring("Token ".length()), "{}", Instant.now().plusSeconds(3600));
        };
        HttpSettings settings = new HttpSettings("127.0.0.1", 0, List.of("*"), 10, 4096, 1000, 1 << 20)
                .withClientLimits(ClientLimits.DEFAULTS.withWebSocketSetupTimeout(setupTimeout));
        server = new SyncHttpServer(settings, auth, backend, Clock.systemUTC()).start();
    }

    @AfterEach
    void stop() throws Exception {
        for (RawWebSocket s : sockets) {
            s.close();
        }
        server.close();
    }

    @Test
    void socketsThatNeverSendSetupAreClosedAfterTheSetupTimeout() throws Exception {
        start(Duration.ofSeconds(1));
        for (int i = 0; i < ANONYMOUS; i++) {
            sockets.add(RawWebSocket.open(server.port()));
        }
        int closed = 0;
        for (RawWebSocket s : sockets) {
            closed += s.awaitClosed(Duration.ofSeconds(30)) ? 1 : 0;
        }
        assertThat(closed).as("anonymous sockets closed by the server").isEqualTo(ANONYMOUS);
    }

    /** Authenticated but without a stream, a socket would escape the per-user stream limit. */
    @Test
    void anAuthenticatedSocketThatRequestsNoStreamIsClosedToo() throws Exception {
        start(Duration.ofSeconds(1));
        RawWebSocket ws = RawWebSocket.open(server.port());
        sockets.add(ws);
        ws.sendBinary(RSocketCodec.encode(new RSocketFrame.Setup(1, 0, 20_000, 30_000, false, false, "application/json",
                "application/bson", "{\"token\":\"Token user-idle\"}".getBytes(StandardCharsets.UTF_8), null)));
        assertThat(ws.awaitClosed(Duration.ofSeconds(30))).isTrue();
    }

    @Test
    void framesInsteadOfSetupCloseTheConnectionAfterAFew() throws Exception {
        start(Duration.ofMinutes(1));
        RawWebSocket ws = RawWebSocket.open(server.port());
        sockets.add(ws);
        for (int i = 0; i < 50; i++) {
            ws.sendBinary(RSocketCodec.encode(new RSocketFrame.Keepalive(true, 0, new byte[0])));
        }
        int echoes = 0;
        String error = null;
        for (RawWebSocket.Message m = ws.read(Duration.ofSeconds(30)); m != null && m.opcode() != 8;
             m = ws.read(Duration.ofSeconds(30))) {
            RSocketFrame frame = RSocketCodec.decode(java.nio.ByteBuffer.wrap(m.payload()));
            if (frame instanceof RSocketFrame.Keepalive) {
                echoes++;
            } else if (frame instanceof RSocketFrame.Error e) {
                error = e.message();
            }
        }
        assertThat(echoes).isLessThanOrEqualTo(ClientLimits.DEFAULTS.maxFramesBeforeSetup());
        assertThat(error).startsWith("[SYNC_W1005]");
    }

    @Test
    void anUnlimitedCreditClientThatNeverReadsHoldsBoundedMemoryBesideAnonymousSockets() throws Exception {
        start(Duration.ofSeconds(10));
        String value = "x".repeat(256 * 1024 - 16); // one shared string: the bucket itself costs no heap
        int rows = BUCKET_MB * 4;
        for (int i = 0; i < rows; i++) {
            backend.buckets.put("big[]", "r" + i, "{\"v\":\"" + value + "\"}");
        }
        backend.grants.put("user-big", List.of("big[]"));
        long baseline = heapAfterGc();

        for (int i = 0; i < ANONYMOUS; i++) {
            sockets.add(RawWebSocket.open(server.port()));
        }
        RawWebSocket reader = RawWebSocket.open(server.port());
        sockets.add(reader);
        reader.sendBinary(RSocketCodec.encode(new RSocketFrame.Setup(1, 0, 20_000, 30_000, false, false, "application/json",
                "application/bson", "{\"token\":\"Token user-big\"}".getBytes(StandardCharsets.UTF_8), null)));
        reader.sendBinary(RSocketCodec.encode(new RSocketFrame.RequestStream(1, Integer.MAX_VALUE,
                "{\"path\":\"/sync/stream\"}".getBytes(StandardCharsets.UTF_8), "{\"buckets\":[]}".getBytes(StandardCharsets.UTF_8))));

        // Either the stream waits for the client (bounded) or it has pushed the whole bucket into the server's queue.
        Gauge waiting = server.metrics().get("syncline_ws_streams_waiting_to_send").gauge();
        Counter lines = server.metrics().get("syncline_sync_lines_sent").counter();
        long dataLines = rows / 3; // 3 ops of 256 KiB fit a 1 MiB line
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (waiting.value() < 1 && lines.count() < dataLines && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long growth = heapAfterGc() - baseline;
        double queued = server.metrics().get("syncline_ws_queued_bytes").gauge().value();
        System.out.printf("hostile clients: %d anonymous sockets, %d MB bucket: heap growth %d MB, %.0f KB queued, %.0f lines sent%n",
                ANONYMOUS, BUCKET_MB, growth >> 20, queued / 1024, lines.count());

        assertThat(lines.count()).as("lines sent to a client that reads nothing").isLessThan(dataLines);
        assertThat(queued).as("bytes queued for it").isLessThanOrEqualTo(ClientLimits.DEFAULTS.maxQueuedBytesPerWebSocket()
                + (2 << 20));
        assertThat(growth).as("heap growth after GC").isLessThan(MAX_HEAP_GROWTH);
        int closed = 0;
        for (RawWebSocket s : sockets.subList(0, ANONYMOUS)) {
            closed += s.awaitClosed(Duration.ofSeconds(60)) ? 1 : 0;
        }
        assertThat(closed).as("anonymous sockets closed").isEqualTo(ANONYMOUS);
    }

    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
