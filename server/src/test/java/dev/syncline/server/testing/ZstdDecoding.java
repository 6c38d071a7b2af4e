package dev.syncline.server.testing;

import com.github.luben.zstd.ZstdDecompressCtx;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Decodes a zstd content coding (one or more concatenated frames) and, unlike a stream that fills
 * its caller's buffer, returns whatever the bytes read so far decode to: a client reading a live
 * sync stream must see a checkpoint's lines without waiting for more of the stream.
 */
public final class ZstdDecoding extends FilterInputStream {
    private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();
    private final ByteBuffer src = ByteBuffer.allocate(64 * 1024).flip();
    private final ByteBuffer dst = ByteBuffer.allocate(256 * 1024).flip();
    /** Whether the last decompress call ended a frame (the stream may end only there). */
    private boolean atFrameEnd = true;
    /** Whether the last decompress call filled dst: the decoder may hold more output for the same input. */
    private boolean filled;

    public ZstdDecoding(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (dst.hasRemaining()) {
                int n = Math.min(len, dst.remaining());
                dst.get(b, off, n);
                return n;
            }
            if (src.hasRemaining() || filled) {
                dst.clear();
                atFrameEnd = ctx.decompressByteBufferStream(dst, src);
                filled = !dst.hasRemaining();
                dst.flip();
                continue;
            }
            src.clear();
            int n = in.read(src.array(), 0, src.capacity());
            if (n < 0) {
                src.limit(0);
                if (!atFrameEnd) {
                    throw new IOException("the zstd stream ended inside a frame");
                }
                return -1;
            }
            src.limit(n);
        }
    }

    @Override
    public int available() {
        return dst.remaining();
    }

    @Override
    public void close() throws IOException {
        ctx.close();
        super.close();
    }
}
