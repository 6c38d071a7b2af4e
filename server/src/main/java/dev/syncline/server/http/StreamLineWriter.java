package dev.syncline.server.http;

import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineCodec;
import dev.syncline.server.sync.LineWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.util.function.LongConsumer;
import java.util.zip.GZIPOutputStream;

/**
 * Writes sync lines to an HTTP response body as NDJSON or BSON, optionally gzip-compressed with a
 * sync flush at every {@link #flush()}, so compression never holds a line back.
 */
final class StreamLineWriter implements LineWriter {
    private final OutputStream out;
    private final StreamFormat format;
    private final LongConsumer bytesWritten;

    StreamLineWriter(OutputStream body, StreamFormat format, boolean gzip, LongConsumer bytesWritten) throws IOException {
        this.out = gzip ? new GZIPOutputStream(body, 8192, true) : body;
        this.format = format;
        this.bytesWritten = bytesWritten;
    }

    @Override
    public void write(SyncLine line) throws IOException {
        byte[] bytes = format == StreamFormat.BSON ? SyncLineCodec.bson(line) : SyncLineCodec.ndjson(line);
        out.write(bytes);
        bytesWritten.accept(bytes.length);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    void finish() throws IOException {
        if (out instanceof GZIPOutputStream gz) {
            gz.finish();
        }
        out.flush();
    }
}
