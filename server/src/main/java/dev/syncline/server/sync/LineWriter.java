package dev.syncline.server.sync;

import dev.syncline.protocol.sync.SyncLine;

import java.io.IOException;

/**
 * The transport end of a sync session. {@link #write} blocks while the client does not read, which
 * is the backpressure: a session holds at most one chunk of lines in memory.
 */
public interface LineWriter {
    void write(SyncLine line) throws IOException;

    /** Pushes written lines to the client (and through any compression). */
    void flush() throws IOException;

    /**
     * Thrown by a writer that waited for the client (credits, or room to send) until the
     * connection's token expired: the session ends as {@link SyncSession.End#TOKEN_EXPIRED}
     * instead of outliving its token behind a client that stopped reading.
     */
    final class TokenExpired extends IOException {
        public TokenExpired() {
            super("the token expired while waiting for the client to read");
        }
    }
}
