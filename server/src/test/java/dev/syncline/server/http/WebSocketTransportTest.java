package dev.syncline.server.http;

import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineParser;
import dev.syncline.server.sync.ProtocolClientModel;
import dev.syncline.server.sync.SyncException;
import dev.syncline.server.ws.RSocketCodec;
import dev.syncline.server.ws.RSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** RSocket over a real WebSocket connection on /sync/stream, against a hand-written backend. */
class WebSocketTransportTest {
    final FakeBackend backend = new FakeBackend();
    SyncHttpServer server;

    @BeforeEach
    void start() {
        Authenticator auth = header -> {
            if (header == null || !header.startsWith("Token user-")) {
                throw new SyncException("PSYNC_S2106", 401, "missing or malformed token");
            }
            return new AuthenticatedUser(header.substring("Token ".length()), "{}", Instant.now().plusSeconds(3600));
        };
        server = new SyncHttpServer(new HttpSettings("127.0.0.1", 0, List.of("*"), 10, 4096, 1000, 1 << 20),
                auth, backend, Clock.systemUTC()).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Collects every binary message as a decoded frame. */
    static final class Frames implements WebSocket.Listener {
        final BlockingQueue<RSocketFrame> frames = new LinkedBlockingQueue<>();
        private ByteBuffer partial = ByteBuffer.allocate(0);

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            ByteBuffer joined = ByteBuffer.allocate(partial.remaining() + data.remaining()).put(partial).put(data).flip();
            if (last) {
                frames.add(RSocketCodec.decode(joined));
                partial = ByteBuffer.allocate(0);
            } else {
                partial = joined;
            }
            ws.request(1);
            return null;
        }

        RSocketFrame next() throws InterruptedException {
            RSocketFrame f = frames.poll(30, TimeUnit.SECONDS);
            if (f == null) {
                throw new AssertionError("no frame within 30 s");
            }
            return f;
        }
    }

    WebSocket connect(Frames frames) {
        return HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/sync/stream"), frames).join();
    }

    static ByteBuffer setup(String token) {
        return RSocketCodec.encode(new RSocketFrame.Setup(1, 0, 20_000, 30_000, false, false, "application/json",
                "application/bson", ("{\"token\":\"" + token + "\",\"user_agent\":\"test\"}").getBytes(StandardCharsets.UTF_8), null));
    }

    static ByteBuffer requestStream(int n) {
        return RSocketCodec.encode(new RSocketFrame.RequestStream(1, n,
                "{\"path\":\"/sync/stream\"}".getBytes(StandardCharsets.UTF_8), "{\"buckets\":[]}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void streamsLinesAsBsonPayloadsWithinTheGrantedCredits() throws Exception {
        backend.grants.put("user-a", List.of("a[]"));
        for (int i = 0; i < 3; i++) {
            backend.buckets.put("a[]", "r" + i, "{\"i\":" + i + "}");
        }
        Frames frames = new Frames();
        WebSocket ws = connect(frames);
        ws.sendBinary(setup("Token user-a"), true).join();
        ws.sendBinary(requestStream(1), true).join();
        ProtocolClientModel client = new ProtocolClientModel();
        RSocketFrame first = frames.next();
        assertThat(first).isInstanceOfSatisfying(RSocketFrame.Payload.class, p -> assertThat(p.next()).isTrue());
        client.accept(SyncLineParser.bson(((RSocketFrame.Payload) first).data()));
        assertThat(frames.frames.poll(300, TimeUnit.MILLISECONDS)).as("no line beyond the granted credit").isNull();

        ws.sendBinary(RSocketCodec.encode(new RSocketFrame.RequestN(1, 100)), true).join();
        while (!client.events.contains("complete 3")) {
            RSocketFrame f = frames.next();
            if (f instanceof RSocketFrame.Payload p && p.next()) {
                SyncLine line = SyncLineParser.bson(p.data());
                client.accept(line);
            }
        }
        assertThat(client.rows.get("a[]")).containsOnlyKeys("r0", "r1", "r2");

        ws.sendBinary(RSocketCodec.encode(new RSocketFrame.Keepalive(true, 0, new byte[0])), true).join();
        RSocketFrame reply;
        do {
            reply = frames.next();
        } while (reply instanceof RSocketFrame.Payload);
        assertThat(reply).isInstanceOfSatisfying(RSocketFrame.Keepalive.class, k -> assertThat(k.respond()).isFalse());
        ws.abort();
    }

    @Test
    void aBadTokenInSetupGetsAnErrorFrameWithTheCode() throws Exception {
        Frames frames = new Frames();
        WebSocket ws = connect(frames);
        ws.sendBinary(setup("nonsense"), true).join();
        RSocketFrame f = frames.next();
        assertThat(f).isInstanceOfSatisfying(RSocketFrame.Error.class, e -> {
            assertThat(e.streamId()).isZero();
            assertThat(e.errorCode()).isEqualTo(RSocketFrame.ERROR_REJECTED_SETUP);
            assertThat(e.message()).startsWith("[PSYNC_S2106]").doesNotContain("nonsense");
        });
        ws.abort();
    }

    /** Regression: an internal failure ended the stream without a code; its detail belongs in the log only. */
    @Test
    void anInternalFailureGetsAnErrorFrameWithACodeAndNoDetail() throws Exception {
        backend.scopeFailure = new IllegalStateException("connection to db.internal:5432 as user replicator failed");
        Frames frames = new Frames();
        WebSocket ws = connect(frames);
        ws.sendBinary(setup("Token user-a"), true).join();
        ws.sendBinary(requestStream(10), true).join();
        RSocketFrame f = frames.next();
        assertThat(f).isInstanceOfSatisfying(RSocketFrame.Error.class, e -> {
            assertThat(e.streamId()).isEqualTo(1);
            assertThat(e.message()).startsWith("[SYNC_S5000]").doesNotContain("db.internal", "replicator");
        });
        ws.abort();
    }
}
