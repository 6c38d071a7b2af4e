package dev.syncline.server.http;

import dev.syncline.server.testing.ZstdDecoding;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ZstdFramesTest {
    /** Writes of every size, including ones larger than a frame, decode to the same bytes, frame after frame. */
    @Test
    void writesOfAnySizeDecodeToTheSameBytes() throws Exception {
        Random random = new Random(7);
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        try (ZstdFrames out = new ZstdFrames(wire)) {
            for (int size : new int[] {1, 100, ZstdFrames.FRAME_BYTES - 1, ZstdFrames.FRAME_BYTES, 3 * ZstdFrames.FRAME_BYTES + 17, 5}) {
                byte[] b = new byte[size];
                String line = "{\"id\":\"" + random.nextInt(1000) + "\"}\n";
                for (int i = 0; i < size; i++) {
                    b[i] = (byte) line.charAt(i % line.length());
                }
                out.write(b, 0, size);
                plain.write(b);
            }
            out.write('x');
            plain.write('x');
        }
        try (ZstdDecoding in = new ZstdDecoding(new ByteArrayInputStream(wire.toByteArray()))) {
            assertThat(in.readAllBytes()).isEqualTo(plain.toByteArray());
        }
        assertThat(wire.size()).isLessThan(plain.size() / 2);
    }
}
