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
}
