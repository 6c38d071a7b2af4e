package dev.syncline.server.http;

import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineCodec;
import dev.syncline.server.sync.LineWriter;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.function.LongConsumer;
import java.util.zip.GZIPOutputStream;

/**
 * Writes sync lines to an HTTP response body as NDJSON, compact NDJSON or BSON, optionally compressed
 * with zstd (independent frames, {@link ZstdFrames}) or gzip ({@link ContentCoding}).
 * Lines are encoded straight into a buffer (no per-line byte array) and reach the client when
 * the buffer fills, after the first data line of a checkpoint, or at {@link #flush()}, which the
 * session calls at the end of every checkpoint and keepalive; the gzip stream does a sync flush
 * then, and a zstd stream ends a frame at every write, so compression never holds a line back.
 * Data lines are not flushed one by one: a 100k-row first sync is ~100 lines of ~300 KB, each of
 * which would otherwise cost a gzip sync flush (or a small zstd frame).
 */
final class StreamLineWriter implements LineWriter {
    /**
     * Large enough that a data line of ~1,000 small ops goes out in a few socket writes; also the
     * size of a zstd frame.
     */
    private static final int BUFFER_BYTES = ZstdFrames.FRAME_BYTES;

    private final OutputStream compressed;
    private final OutputStream out;
    private final StreamFormat format;
    private final LongConsumer bytesWritten;
    private final Counting counting;
    private boolean dataSinceFlush;

    StreamLineWriter(OutputStream body, StreamFormat format, ContentCoding coding, LongConsumer bytesWritten) throws IOException {
        // Compressed output is gathered into 64 KiB pieces too: the compressors write a few KiB at a
        // time (deflate 8 KiB, a zstd frame ~15 KiB per 64 KiB of lines), and Jetty sends a write
        // above its 8 KiB aggregation size as an HTTP chunk of its own; Chromium then took about 0.4 s
        // longer to receive a 100k-row first sync than the same bytes in 64 KiB pieces.
        this.compressed = switch (coding) {
            case IDENTITY -> body;
            case GZIP -> new FastGzip(new ReleasingBuffer(body));
            case ZSTD -> new ZstdFrames(new ReleasingBuffer(body));
        };
        this.counting = new Counting(new ReleasingBuffer(compressed));
        this.out = counting;
        this.format = format;
        this.bytesWritten = bytesWritten;
    }

    @Override
    public void write(SyncLine line) throws IOException {
        long before = counting.count;
        if (format == StreamFormat.BSON) {
            SyncLineCodec.writeBson(line, out);
        } else {
            try {
                SyncLineCodec.writeNdjson(line, out, format == StreamFormat.COMPACT);
            } catch (UncheckedIOException e) {
                throw e.getCause(); // the client went away: report it as the I/O failure it is
            }
        }
        bytesWritten.accept(counting.count - before);
        if (line instanceof SyncLine.Data && !dataSinceFlush) {
            // The first data line after a flush goes out at once: the client starts storing ops
            // while the rest of the checkpoint is read and encoded.
            dataSinceFlush = true;
            out.flush();
        }
    }

    @Override
    public void flush() throws IOException {
        dataSinceFlush = false;
        out.flush();
    }

    void finish() throws IOException {
        out.flush();
        if (compressed instanceof GZIPOutputStream gz) {
            gz.finish();
        }
        compressed.flush();
    }

    /**
     * gzip at deflate's fastest level, with a sync flush at every {@link #flush()}. At the default
     * level deflate was about a third of the server's CPU for a 100k-row first sync (a JFR profile of
     * {@code bench/run browser-sync}, docs/benchmarks.md P4); the fastest level compresses these
     * lines nearly as well, and a first sync is bounded by CPU on both ends, not by the network.
     */
    private static final class FastGzip extends GZIPOutputStream {
        FastGzip(OutputStream out) throws IOException {
            super(out, 8192, true);
            def.setLevel(java.util.zip.Deflater.BEST_SPEED);
        }
    }

    /**
     * Buffers like {@link java.io.BufferedOutputStream}, but only between flushes: the array is
     * dropped at every flush, so an idle connection (most of them, with thousands connected)
     * holds no buffer. A 64 KiB buffer per connection kept for good cost 640 MB of heap at 10,000
     * connections in the P5 benchmark.
     */
    private static final class ReleasingBuffer extends FilterOutputStream {
        private byte[] buf;
        private int count;

        ReleasingBuffer(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            if (buf == null) {
                buf = new byte[BUFFER_BYTES];
            } else if (count == buf.length) {
                drain();
            }
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len >= BUFFER_BYTES) {
                drain();
                out.write(b, off, len);
                return;
            }
            if (buf == null) {
                buf = new byte[BUFFER_BYTES];
            } else if (len > buf.length - count) {
                drain();
            }
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        private void drain() throws IOException {
            if (count > 0) {
                out.write(buf, 0, count);
                count = 0;
            }
        }

        @Override
        public void flush() throws IOException {
            drain();
            buf = null;
            out.flush();
        }
    }

    /** Counts the uncompressed bytes of each line for the metrics. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
