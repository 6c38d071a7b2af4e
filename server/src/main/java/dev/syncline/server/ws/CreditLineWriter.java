package dev.syncline.server.ws;

import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineCodec;
import dev.syncline.server.sync.LineWriter;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;

/**
 * Sends each sync line as one RSocket PAYLOAD (NEXT) with a BSON document, but only while the
 * client has granted credits (REQUEST_N) and the connection's {@link Outbox} has room: a client
 * that stops asking, or asks without reading, stops the stream, so the server never queues lines
 * for it. Every wait ends when the token expires ({@link LineWriter.TokenExpired}).
 */
public final class CreditLineWriter implements LineWriter {
    /** RSocket: 2^31−1 credits mean "unbounded"; grants beyond are not counted. */
    static final long UNBOUNDED = Integer.MAX_VALUE;

    private final int streamId;
    private final Outbox outbox;
    private final Instant deadline;
    private final Clock clock;
    private long credits;
    private boolean cancelled;

    /** @param deadline when the connection's token expires: no wait lasts beyond it */
    CreditLineWriter(int streamId, Outbox outbox, long initialCredits, Instant deadline, Clock clock) {
        this.streamId = streamId;
        this.outbox = outbox;
        this.deadline = deadline;
        this.clock = clock;
        this.credits = Math.min(UNBOUNDED, Math.max(0, initialCredits));
    }

    synchronized void grant(long n) {
        if (n <= 0) {
            return; // RSocket requires n > 0; a zero grant changes nothing
        }
        credits = Math.min(UNBOUNDED, credits + n); // n < 2^32: no overflow
        notifyAll();
    }

    synchronized void cancel() {
        cancelled = true;
        notifyAll();
    }

    @Override
    public void write(SyncLine line) throws IOException {
        synchronized (this) {
            while (credits <= 0 && !cancelled) {
                Waits.await(this, clock, deadline);
            }
            if (cancelled) {
                throw new IOException("stream cancelled by the client");
            }
            if (credits < UNBOUNDED) {
                credits--;
            }
        }
        outbox.send(RSocketCodec.encode(new RSocketFrame.Payload(streamId, true, false, null, SyncLineCodec.bson(line))),
                deadline);
    }

    @Override
    public void flush() {
        // every line is sent as its own frame
    }
}
