package dev.syncline.server.ws;

import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineCodec;
import dev.syncline.server.sync.LineWriter;

import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Sends each sync line as one RSocket PAYLOAD (NEXT) with a BSON document, but only while the
 * client has granted credits (REQUEST_N): a client that stops asking stops the stream, so the
 * server never queues lines for it.
 */
public final class CreditLineWriter implements LineWriter {
    private final int streamId;
    private final RSocketSyncConnection.FrameSender sender;
    private long credits;
    private boolean cancelled;

    CreditLineWriter(int streamId, RSocketSyncConnection.FrameSender sender, long initialCredits) {
        this.streamId = streamId;
        this.sender = sender;
        this.credits = initialCredits;
    }

    synchronized void grant(long n) {
        // 2^31-1 means "unbounded" in RSocket; saturate instead of overflowing.
        credits = credits > Long.MAX_VALUE - n ? Long.MAX_VALUE : credits + n;
        notifyAll();
    }

    synchronized void cancel() {
        cancelled = true;
        notifyAll();
    }

    @Override
    public void write(SyncLine line) throws IOException {
        synchronized (this) {
            try {
                while (credits <= 0 && !cancelled) {
                    wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("stream cancelled");
            }
            if (cancelled) {
                throw new IOException("stream cancelled by the client");
            }
            credits--;
        }
        sender.send(RSocketCodec.encode(new RSocketFrame.Payload(streamId, true, false, null, SyncLineCodec.bson(line))));
    }

    @Override
    public void flush() {
        // every line is sent as its own frame
    }
}
