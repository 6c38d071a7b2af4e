package dev.syncline.server.http;

import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.server.testing.ZstdDecoding;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

class StreamLineWriterTest {
    /** Records every write the HTTP body gets. */
    private static final class Body extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Integer> writes = new ArrayList<>();
        int flushes;

        @Override
        public void write(int b) {
            writes.add(1);
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes.add(len);
            bytes.write(b, off, len);
        }

        @Override
        public void flush() {
            flushes++;
        }
    }

    /** A first sync's data lines: ~3 MB of NDJSON in ~300 KB lines. */
    private static List<SyncLine> lines() {
        List<SyncLine> lines = new ArrayList<>();
        long op = 0;
        for (int l = 0; l < 10; l++) {
            List<OplogEntry> ops = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                op++;
                ops.add(new OplogEntry(op, OplogEntry.Op.PUT, "todos", "b" + op, "s" + op,
                        "{\"id\":\"b" + op + "\",\"description\":\"todo number " + op + " " + "x".repeat(op % 97 == 0 ? 200 : 40) + "\"}",
                        op * 2654435761L & 0xFFFF_FFFFL));
            }
            lines.add(new SyncLine.Data("b[]", ops, false, op - 1000, op));
        }
        return lines;
    }

    /**
     * Compressed output reaches the HTTP body in pieces of 32–64 KiB between flushes, as uncompressed
     * output does: Jetty sends each write above 8 KiB as an HTTP chunk of its own, and Chromium took
     * about 0.4 s longer to receive a 100k-row first sync in the compressors' 8–20 KiB pieces
     * (docs/benchmarks.md, P4). Before, gzip wrote 8 KiB and zstd one ~15 KiB frame per write.
     */
    @Test
    void compressedOutputReachesTheBodyInLargePiecesAndDecodesToTheSameLines() throws Exception {
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        StreamLineWriter identity = new StreamLineWriter(plain, StreamFormat.NDJSON, ContentCoding.IDENTITY, n -> { });
        for (SyncLine line : lines()) {
            identity.write(line);
        }
        identity.finish();
        for (ContentCoding coding : List.of(ContentCoding.GZIP, ContentCoding.ZSTD)) {
            Body body = new Body();
            StreamLineWriter w = new StreamLineWriter(body, StreamFormat.NDJSON, coding, n -> { });
            List<SyncLine> lines = lines();
            w.write(lines.getFirst()); // the first data line is flushed at once
            int afterFirst = body.writes.size();
            for (SyncLine line : lines.subList(1, lines.size())) {
                w.write(line);
            }
            w.finish();
            List<Integer> between = body.writes.subList(afterFirst, body.writes.size() - 1);
            assertThat(between).as(coding + ": writes between the first flush and the end").isNotEmpty()
                    .allSatisfy(n -> assertThat(n).isBetween(32 * 1024, 64 * 1024));
            byte[] wire = body.bytes.toByteArray();
            byte[] decoded = (coding == ContentCoding.GZIP ? new GZIPInputStream(new ByteArrayInputStream(wire))
                    : new ZstdDecoding(new ByteArrayInputStream(wire))).readAllBytes();
            assertThat(new String(decoded, StandardCharsets.UTF_8)).as(coding.toString())
                    .isEqualTo(plain.toString(StandardCharsets.UTF_8));
        }
    }
}
