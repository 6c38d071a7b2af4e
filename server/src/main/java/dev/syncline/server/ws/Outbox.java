package dev.syncline.server.ws;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outgoing side of one WebSocket, bounded in bytes. Frames go to the transport
 * asynchronously and count as queued until the transport reports them written (or failed). The
 * stream's thread waits while {@code maxQueuedBytes} or more are queued, so a client that grants
 * unlimited credits and stops reading holds at most that much plus one frame in the server, not
 * its whole bucket in Jetty's queue. Frames sent from the WebSocket thread (keepalive echoes,
 * errors) never wait: they are dropped when the outbox is full, which a reading client never
 * sees. Thread-safe.
 */
public final class Outbox {
    /** Where frames go: Jetty's WebSocket session in the server. */
    public interface Transport {
        /** Sends asynchronously; calls {@code done} exactly once, when the frame is written or has failed. */
        void send(ByteBuffer frame, Runnable done);

        void close();
    }

    /** Node-wide counters behind the {@code syncline_ws_*} metrics, shared by every outbox. */
    public record Gauges(AtomicLong queuedBytes, AtomicInteger waitingStreams) {
        public Gauges() {
            this(new AtomicLong(), new AtomicInteger());
        }
    }

    private final Transport transport;
    private final long maxQueuedBytes;
    private final Gauges gauges;
    private final Clock clock;
    private long queued;
    private boolean closed;

    public Outbox(Transport transport, long maxQueuedBytes, Gauges gauges, Clock clock) {
        this.transport = transport;
        this.maxQueuedBytes = maxQueuedBytes;
        this.gauges = gauges;
        this.clock = clock;
    }

    /** Sends a control frame without waiting; false (frame dropped) when the outbox is full or closed. */
    public boolean offer(ByteBuffer frame) {
        int size = frame.remaining();
        synchronized (this) {
            if (closed || queued >= maxQueuedBytes) {
                return false;
            }
            reserve(size);
        }
        // Outside the monitor: Jetty may complete the send (and call back) on another thread.
        return dispatch(frame, size);
    }

    /**
     * Sends a stream frame, waiting while the outbox is full.
     *
     * @throws dev.syncline.server.sync.LineWriter.TokenExpired when still full at {@code deadline}
     * @throws IOException when the connection closed
     */
    public void send(ByteBuffer frame, Instant deadline) throws IOException {
        int size = frame.remaining();
        synchronized (this) {
            if (!closed && queued >= maxQueuedBytes) {
                gauges.waitingStreams().incrementAndGet();
                try {
                    while (!closed && queued >= maxQueuedBytes) {
                        Waits.await(this, clock, deadline);
                    }
                } finally {
                    gauges.waitingStreams().decrementAndGet();
                }
            }
            if (closed) {
                throw new IOException("the WebSocket connection is closed");
            }
            reserve(size);
        }
        if (!dispatch(frame, size)) {
            throw new IOException("the WebSocket connection refused a frame");
        }
    }

    /** A transport that throws instead of calling back must not leave its bytes counted for good. */
    private boolean dispatch(ByteBuffer frame, int size) {
        try {
            transport.send(frame, () -> sent(size));
            return true;
        } catch (RuntimeException e) {
            sent(size);
            return false;
        }
    }

    private void reserve(int size) {
        queued += size;
        gauges.queuedBytes().addAndGet(size);
    }

    private synchronized void sent(int size) {
        queued -= size;
        gauges.queuedBytes().addAndGet(-size);
        notifyAll();
    }

    /** Bytes handed to the transport and not yet written. */
    public synchronized long queuedBytes() {
        return queued;
    }

    /** Wakes a waiting stream (which then fails) and closes the transport. */
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        transport.close();
    }
}
