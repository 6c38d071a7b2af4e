package dev.syncline.server.ws;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RSocketCodecTest {
    static RSocketFrame roundTrip(RSocketFrame f) {
        return RSocketCodec.decode(RSocketCodec.encode(f));
    }

    @Test
    void framesSurviveEncodeAndDecode() {
        byte[] meta = "{\"token\":\"Token x\"}".getBytes(StandardCharsets.UTF_8);
        RSocketFrame.Setup setup = (RSocketFrame.Setup) roundTrip(new RSocketFrame.Setup(1, 0, 20000, 30000, false, false,
                "application/json", "application/bson", meta, new byte[] {1, 2}));
        assertThat(setup.metadataMimeType()).isEqualTo("application/json");
        assertThat(setup.dataMimeType()).isEqualTo("application/bson");
        assertThat(setup.metadata()).isEqualTo(meta);
        assertThat(setup.data()).containsExactly(1, 2);
        assertThat(setup.keepaliveIntervalMillis()).isEqualTo(20000);

        RSocketFrame.RequestStream rs = (RSocketFrame.RequestStream) roundTrip(new RSocketFrame.RequestStream(1, 10, meta, new byte[] {9}));
        assertThat(rs.initialRequestN()).isEqualTo(10);
        assertThat(rs.metadata()).isEqualTo(meta);
        assertThat(rs.data()).containsExactly(9);

        RSocketFrame.Payload p = (RSocketFrame.Payload) roundTrip(new RSocketFrame.Payload(1, true, false, null, new byte[] {7}));
        assertThat(p.next()).isTrue();
        assertThat(p.complete()).isFalse();
        assertThat(p.metadata()).isNull();
        assertThat(p.data()).containsExactly(7);

        assertThat(roundTrip(new RSocketFrame.RequestN(1, 5))).isEqualTo(new RSocketFrame.RequestN(1, 5));
        assertThat(roundTrip(new RSocketFrame.Cancel(3))).isEqualTo(new RSocketFrame.Cancel(3));
        RSocketFrame.Error e = (RSocketFrame.Error) roundTrip(new RSocketFrame.Error(0, 0x201, "[PSYNC_S2101] no"));
        assertThat(e.message()).isEqualTo("[PSYNC_S2101] no");
        RSocketFrame.Keepalive k = (RSocketFrame.Keepalive) roundTrip(new RSocketFrame.Keepalive(true, 42, new byte[0]));
        assertThat(k.respond()).isTrue();
        assertThat(k.lastReceivedPosition()).isEqualTo(42);
    }

    @Test
    void headerLayoutMatchesTheSpec() {
        ByteBuffer b = RSocketCodec.encode(new RSocketFrame.RequestN(7, 3));
        assertThat(b.getInt(0)).isEqualTo(7);
        assertThat((b.getShort(4) & 0xFFFF) >>> 10).isEqualTo(RSocketFrame.TYPE_REQUEST_N);
        assertThat(b.getInt(6)).isEqualTo(3);
    }

    @Test
    void truncatedFramesAreRejected() {
        assertThatThrownBy(() -> RSocketCodec.decode(ByteBuffer.wrap(new byte[] {0, 0, 0, 1, 0x18})))
                .isInstanceOf(RSocketCodec.MalformedFrameException.class);
        ByteBuffer full = RSocketCodec.encode(new RSocketFrame.RequestN(1, 5));
        assertThatThrownBy(() -> RSocketCodec.decode(full.limit(8))).isInstanceOf(RSocketCodec.MalformedFrameException.class);
    }
}
