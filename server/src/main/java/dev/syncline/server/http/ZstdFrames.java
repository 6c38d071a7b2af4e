package dev.syncline.server.http;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A zstd content coding made of independent frames: every write (a drained 64 KiB buffer, or what
 * a flush pushes out) becomes one complete frame (a larger write several, of at most {@link
 * #FRAME_BYTES}), so the client can decode everything it has received at any moment, as after a
 * gzip sync flush. A zstd stream may be any number of concatenated frames (RFC 8878 §3.1).
 *
 * <p>No compression state outlives a write: the contexts come from a pool shared by all streams, so
 * an idle connection holds nothing (a gzip stream keeps its ~270 KB deflater for the connection's
 * life). Each frame's window is at most its own size, far below the 8 MB that HTTP clients may
 * refuse (RFC 9659). Frames of 64 KiB compressed these lines as well as one continuous stream
 * (docs/benchmarks.md, P4).
 */
final class ZstdFrames extends FilterOutputStream {
    /** zstd's fastest regular level: about 4× deflate's fastest on sync lines, with smaller output. */
    static final int LEVEL = 1;
    /** The largest frame: StreamLineWriter's buffer size, so a drained buffer is one frame. */
    static final int FRAME_BYTES = 64 * 1024;
    /** Contexts kept for reuse; more are made while more streams compress at once, then closed. */
    private static final int POOLED = Math.clamp(2L * Runtime.getRuntime().availableProcessors(), 4, 32);
    private static final ConcurrentLinkedQueue<Context> POOL = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger POOL_SIZE = new AtomicInteger();

    private record Context(ZstdCompressCtx ctx, byte[] out) {}

    ZstdFrames(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        while (len > 0) {
            int n = Math.min(len, FRAME_BYTES);
            out.write(compress(b, off, n));
            off += n;
            len -= n;
        }
    }

    /** One complete frame of {@code b[off, off + len)}, copied out so that no context waits on the socket. */
    static byte[] compress(byte[] b, int off, int len) {
        Context c = borrow();
        try {
            int n = c.ctx.compressByteArray(c.out, 0, c.out.length, b, off, len);
            return Arrays.copyOf(c.out, n);
        } finally {
            giveBack(c);
        }
    }

    private static Context borrow() {
        Context c = POOL.poll();
        if (c != null) {
            POOL_SIZE.decrementAndGet();
            return c;
        }
        ZstdCompressCtx ctx = new ZstdCompressCtx();
        ctx.setLevel(LEVEL);
        ctx.setContentSize(true);
        return new Context(ctx, new byte[(int) Zstd.compressBound(FRAME_BYTES)]);
    }

    private static void giveBack(Context c) {
        if (POOL_SIZE.incrementAndGet() <= POOLED) {
            POOL.offer(c);
        } else {
            POOL_SIZE.decrementAndGet();
            c.ctx.close();
        }
    }
}
