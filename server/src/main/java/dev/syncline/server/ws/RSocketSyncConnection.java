package dev.syncline.server.ws;

import dev.syncline.server.errors.ServerError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.undercouch.bson4jackson.BsonFactory;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.server.sync.InternalFailure;
import dev.syncline.server.sync.SyncException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * One WebSocket connection speaking RSocket (PROTOCOL.md §5): authenticates the SETUP frame's
 * token, answers a REQUEST_STREAM with one PAYLOAD per sync line (BSON), honours REQUEST_N
 * credits as backpressure, echoes KEEPALIVEs that ask for it, and reports failures as ERROR frames
 * whose message starts with {@code [CODE]}. Frames arrive on the WebSocket thread; the stream runs
 * on its own virtual thread.
 *
 * <p>Until SETUP authenticates it, a connection costs the server without naming anyone: it may send
 * only a few frames ({@code maxFramesBeforeSetup}), and the server closes it when
 * {@link #setupDeadlinePassed()} finds it still anonymous. Everything sent goes through a bounded
 * {@link Outbox}.
 */
public final class RSocketSyncConnection {
    private static final Logger log = LoggerFactory.getLogger(RSocketSyncConnection.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper BSON = new ObjectMapper(new BsonFactory());

    /** Runs a sync stream for a user and request into a writer; blocking until it ends. */
    @FunctionalInterface
    public interface StreamRunner {
        void run(AuthenticatedUser user, StreamingSyncRequest request, CreditLineWriter writer) throws IOException;
    }

    private final Authenticator authenticator;
    private final StreamRunner runner;
    private final Outbox outbox;
    private final int maxFramesBeforeSetup;
    private final Clock clock;
    private volatile AuthenticatedUser user;
    private int framesBeforeSetup;
    private volatile Thread stream;
    private volatile CreditLineWriter writer;

    /**
     * @param maxFramesBeforeSetup frames a connection may send before its SETUP authenticates it
     *                             (SETUP included); one more closes it
     * @param clock measures the token's expiry while the stream waits for the client
     */
    public RSocketSyncConnection(Authenticator authenticator, StreamRunner runner, Outbox outbox,
                                 int maxFramesBeforeSetup, Clock clock) {
        this.authenticator = authenticator;
        this.runner = runner;
        this.outbox = outbox;
        this.maxFramesBeforeSetup = maxFramesBeforeSetup;
        this.clock = clock;
    }

    public void onFrame(ByteBuffer bytes) {
        try {
            handle(bytes);
        } catch (RuntimeException e) {
            SyncException told = InternalFailure.toClient(log, "WebSocket frame", e);
            fail(0, RSocketFrame.ERROR_CONNECTION_ERROR, "[" + told.code() + "] " + told.getMessage());
        }
    }

    private void handle(ByteBuffer bytes) {
        if (user == null && ++framesBeforeSetup > maxFramesBeforeSetup) {
            fail(0, RSocketFrame.ERROR_CONNECTION_ERROR, ServerError.SYNC_W1005.tag("send SETUP with a token first; "
                    + maxFramesBeforeSetup + " frames without it close the connection"));
            return;
        }
        RSocketFrame frame;
        try {
            frame = RSocketCodec.decode(bytes);
        } catch (RSocketCodec.MalformedFrameException e) {
            fail(0, RSocketFrame.ERROR_CONNECTION_ERROR, ServerError.SYNC_W1001.tag(e.getMessage()));
            return;
        }
        switch (frame) {
            case RSocketFrame.Setup setup -> setup(setup);
            case RSocketFrame.RequestStream request -> requestStream(request);
            case RSocketFrame.RequestN n -> {
                CreditLineWriter w = writer;
                if (w != null) {
                    w.grant(n.requestN());
                }
            }
            case RSocketFrame.Cancel c -> close();
            case RSocketFrame.Keepalive k -> {
                if (k.respond()) {
                    // Dropped when the outbox is full: a client that reads gets every echo.
                    outbox.offer(RSocketCodec.encode(new RSocketFrame.Keepalive(false, 0, new byte[0])));
                }
            }
            case RSocketFrame.Payload p -> { } // the client sends no payloads on a request-stream
            case RSocketFrame.Error e -> {
                log.info("client reported RSocket error {}: {}", e.errorCode(), e.message());
                close();
            }
            case RSocketFrame.Other o -> outbox.offer(RSocketCodec.encode(new RSocketFrame.Error(o.streamId(),
                    RSocketFrame.ERROR_REJECTED, ServerError.SYNC_W1002.tag("only REQUEST_STREAM on /sync/stream is served"))));
        }
    }

    private void setup(RSocketFrame.Setup setup) {
        if (user != null) {
            fail(0, RSocketFrame.ERROR_INVALID_SETUP, ServerError.SYNC_W1003.tag("SETUP sent twice"));
            return;
        }
        String token = null;
        try {
            JsonNode metadata = setup.metadata() == null ? null : JSON.readTree(setup.metadata());
            if (metadata != null && metadata.path("token").isTextual()) {
                token = metadata.get("token").asText();
            }
        } catch (IOException e) {
            fail(0, RSocketFrame.ERROR_INVALID_SETUP, "[" + dev.syncline.server.auth.AuthErrorCode.PSYNC_S2106 + "] SETUP metadata must be JSON with a token");
            return;
        }
        try {
            user = authenticator.authenticate(token);
        } catch (SyncException e) {
            fail(0, RSocketFrame.ERROR_REJECTED_SETUP, "[" + e.code() + "] " + e.getMessage());
        }
    }

    private void requestStream(RSocketFrame.RequestStream frame) {
        if (user == null) {
            fail(frame.streamId(), RSocketFrame.ERROR_REJECTED, "[" + dev.syncline.server.auth.AuthErrorCode.PSYNC_S2106 + "] authenticate in SETUP first");
            return;
        }
        if (stream != null) {
            outbox.offer(RSocketCodec.encode(new RSocketFrame.Error(frame.streamId(), RSocketFrame.ERROR_REJECTED,
                    ServerError.SYNC_W1004.tag("one sync stream per connection"))));
            return;
        }
        StreamingSyncRequest request;
        try {
            request = StreamingSyncRequest.parse(asJson(frame.data()));
        } catch (StreamingSyncRequest.InvalidRequestException | IOException e) {
            outbox.offer(RSocketCodec.encode(new RSocketFrame.Error(frame.streamId(), RSocketFrame.ERROR_INVALID,
                    ServerError.SYNC_R1001.tag(e.getMessage()))));
            return;
        }
        AuthenticatedUser streamUser = user;
        CreditLineWriter w = new CreditLineWriter(frame.streamId(), outbox, frame.initialRequestN(),
                streamUser.expiresAt(), clock);
        writer = w;
        stream = Thread.ofVirtual().name("syncline-ws-stream").start(() -> {
            try {
                runner.run(streamUser, request, w);
                outbox.offer(RSocketCodec.encode(new RSocketFrame.Payload(frame.streamId(), false, true, null, null)));
            } catch (SyncException e) {
                outbox.offer(RSocketCodec.encode(new RSocketFrame.Error(frame.streamId(),
                        RSocketFrame.ERROR_APPLICATION_ERROR, "[" + e.code() + "] " + e.getMessage())));
            } catch (IOException e) {
                log.info("WebSocket sync stream ended: {}", e.toString());
            } catch (RuntimeException e) {
                SyncException told = InternalFailure.toClient(log, "WebSocket sync stream", e);
                outbox.offer(RSocketCodec.encode(new RSocketFrame.Error(frame.streamId(), RSocketFrame.ERROR_APPLICATION_ERROR,
                        "[" + told.code() + "] " + told.getMessage())));
            } finally {
                outbox.close();
            }
        });
    }

    /** The request arrives as BSON (the SDKs' default) or JSON. */
    private static byte[] asJson(byte[] data) throws IOException {
        if (data == null || data.length == 0 || data[0] == '{' || data[0] == ' ') {
            return data == null ? new byte[0] : data;
        }
        return JSON.writeValueAsString(BSON.readTree(data)).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Called once the SETUP timeout has passed: a connection that has not authenticated and
     * requested its stream by then is closed. Authenticated connections without a stream would
     * otherwise escape the per-user stream limit.
     */
    public void setupDeadlinePassed() {
        if (user == null || stream == null) {
            fail(0, RSocketFrame.ERROR_CONNECTION_ERROR, ServerError.SYNC_W1006.tag("no SETUP with a token and REQUEST_STREAM in time"));
        }
    }

    private void fail(int streamId, int code, String message) {
        outbox.offer(RSocketCodec.encode(new RSocketFrame.Error(streamId, code, message)));
        close();
    }

    /** The peer went away or cancelled: stop the stream. */
    public void close() {
        Thread t = stream;
        if (t != null) {
            t.interrupt();
        }
        CreditLineWriter w = writer;
        if (w != null) {
            w.cancel();
        }
        outbox.close();
    }
}
