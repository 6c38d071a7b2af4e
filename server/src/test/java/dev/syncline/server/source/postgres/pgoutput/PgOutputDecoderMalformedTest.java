package dev.syncline.server.source.postgres.pgoutput;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static dev.syncline.server.source.postgres.pgoutput.PgOutputFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Malformed and unusual buffers: every failure must be a {@link PgOutputFormatException} naming type and offset. */
class PgOutputDecoderMalformedTest {
    static final byte[] STREAM_START = HexFormat.of().parseHex("530000002a01");

    @Test
    void everyTruncationOfEveryCapturedMessageIsRejected() {
        for (String fixture : List.of("v1-changes.hex", "v2-streaming.hex")) {
            PgOutputDecoder replay = new PgOutputDecoder();
            for (PgOutputFixtureFile.Entry entry : PgOutputFixtureFile.load(fixture).messages()) {
                boolean inSegment = replay.inStreamSegment();
                byte[] bytes = entry.bytes();
                for (int length = 1; length < bytes.length; length++) {
                    PgOutputDecoder probe = decoderInSegment(inSegment);
                    ByteBuffer truncated = ByteBuffer.wrap(bytes, 0, length);
                    assertThatThrownBy(() -> probe.decode(truncated)).as("%s truncated to %d", entry.kind(), length)
                            .isInstanceOf(PgOutputFormatException.class)
                            .satisfies(e -> assertThat(((PgOutputFormatException) e).messageType())
                                    .isEqualTo((char) bytes[0]));
                }
                PgOutputDecoder probe = decoderInSegment(inSegment);
                byte[] padded = Arrays.copyOf(bytes, bytes.length + 1);
                assertThatThrownBy(() -> probe.decode(ByteBuffer.wrap(padded)))
                        .isInstanceOf(PgOutputFormatException.class).hasMessageContaining("trailing");
                replay.decode(ByteBuffer.wrap(bytes));
            }
        }
    }

    @Test
    void emptyBufferIsRejected() {
        assertThatThrownBy(() -> new PgOutputDecoder().decode(ByteBuffer.allocate(0)))
                .isInstanceOf(PgOutputFormatException.class).hasMessageContaining("empty");
    }

    @Test
    void unknownMessageTypeIsRejectedAtOffsetZero() {
        PgOutputFormatException e = decodeFails(bytes('Z', 0, 0, 0, 0));
        assertThat(e.messageType()).isEqualTo('Z');
        assertThat(e.offset()).isZero();
        assertThat(e).hasMessageContaining("'Z'").hasMessageContaining("unknown message type");
        // Two-phase commit messages (protocol v3) are not requested by Syncline, so they are unknown too.
        assertThat(decodeFails(bytes('P', 0)).getMessage()).contains("unknown message type");
    }

    @Test
    void unknownTupleColumnKindIsRejectedWithItsOffset() {
        PgOutputFormatException e = decodeFails(insert(bytes(0, 1, 'x')));
        assertThat(e.messageType()).isEqualTo('I');
        assertThat(e.offset()).isEqualTo(9);
        assertThat(e).hasMessageContaining("'x'");
    }

    @Test
    void missingOrWrongTupleMarkersAreRejected() {
        assertThat(decodeFails(bytes('I', 0, 0, 0, 1, 'K', 0, 0)).getMessage()).contains("expected tuple marker 'N'");
        assertThat(decodeFails(bytes('U', 0, 0, 0, 1, 'X', 0, 0)).getMessage()).contains("expected tuple marker 'N'");
        assertThat(decodeFails(bytes('D', 0, 0, 0, 1, 'N', 0, 0)).getMessage()).contains("'K' or 'O'");
    }

    @Test
    void negativeLengthsAndUnterminatedStringsAreRejected() {
        assertThat(decodeFails(insert(bytes(0, 1, 't', 0xff, 0xff, 0xff, 0xff))).getMessage()).contains("negative length");
        assertThat(decodeFails(insert(bytes(0xff, 0xff))).getMessage()).contains("negative tuple column count");
        assertThat(decodeFails(bytes('O', 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b')).getMessage()).contains("NUL");
    }

    @Test
    void streamSegmentsMustBeBalanced() {
        assertThat(decodeFails(bytes('E')).getMessage()).contains("outside a stream segment");
        PgOutputDecoder decoder = decoderInSegment(true);
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(STREAM_START)))
                .isInstanceOf(PgOutputFormatException.class).hasMessageContaining("inside a stream segment");
    }

    @Test
    void rejectedStreamStartDoesNotOpenASegment() {
        PgOutputDecoder decoder = new PgOutputDecoder();
        byte[] padded = Arrays.copyOf(STREAM_START, STREAM_START.length + 1);
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(padded))).isInstanceOf(PgOutputFormatException.class);
        assertThat(decoder.inStreamSegment()).isFalse();
    }

    @Test
    void binaryColumnsAreKeptAsBytes() {
        PgOutputMessage.Insert insert = (PgOutputMessage.Insert) new PgOutputDecoder()
                .decode(ByteBuffer.wrap(insert(bytes(0, 2, 'b', 0, 0, 0, 2, 0xca, 0xfe, 'n'))));
        TupleData.ColumnValue.Binary binary = (TupleData.ColumnValue.Binary) insert.newTuple().columns().get(0);
        assertThat(binary.bytes()).containsExactly(0xca, 0xfe);
        assertThat(text(insert.newTuple()).get(1)).isNull();
    }

    @Test
    void readsOnlyBetweenPositionAndLimitAndLeavesThemAlone() {
        byte[] message = insert(bytes(0, 1, 't', 0, 0, 0, 2, 'h', 'i'));
        byte[] framed = new byte[message.length + 7];
        Arrays.fill(framed, (byte) 'w');
        System.arraycopy(message, 0, framed, 3, message.length);
        ByteBuffer buffer = ByteBuffer.wrap(framed, 3, message.length).order(ByteOrder.LITTLE_ENDIAN);

        PgOutputMessage.Insert insert = (PgOutputMessage.Insert) new PgOutputDecoder().decode(buffer);

        assertThat(insert.relationId()).isEqualTo(0x4009);
        assertThat(text(insert.newTuple())).containsExactly("hi");
        assertThat(buffer.position()).isEqualTo(3);
        assertThat(buffer.limit()).isEqualTo(3 + message.length);
    }

    @Test
    void decodesFromDirectBuffers() {
        byte[] origin = "O\0\0\0\0\0\0\0\1node\0".getBytes(StandardCharsets.UTF_8);
        ByteBuffer direct = ByteBuffer.allocateDirect(origin.length).put(origin).flip();
        PgOutputMessage.Origin decoded = (PgOutputMessage.Origin) new PgOutputDecoder().decode(direct);
        assertThat(decoded.name()).isEqualTo("node");
        assertThat(decoded.commitLsn().value()).isEqualTo(1);
    }

    private static PgOutputDecoder decoderInSegment(boolean inSegment) {
        PgOutputDecoder decoder = new PgOutputDecoder();
        if (inSegment) {
            decoder.decode(ByteBuffer.wrap(STREAM_START));
        }
        return decoder;
    }

    private static PgOutputFormatException decodeFails(byte[] bytes) {
        try {
            new PgOutputDecoder().decode(ByteBuffer.wrap(bytes));
        } catch (PgOutputFormatException e) {
            return e;
        }
        throw new AssertionError("decoded without error: " + HexFormat.of().formatHex(bytes));
    }

    /** An Insert into relation 0x4009 with the given TupleData bytes. */
    private static byte[] insert(byte[] tuple) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bytes('I', 0, 0, 0x40, 0x09, 'N'));
        out.writeBytes(tuple);
        return out.toByteArray();
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
