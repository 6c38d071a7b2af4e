package dev.syncline.server.ws;

/**
 * The RSocket 1.0 frames Syncline's WebSocket transport uses (PROTOCOL.md §5). Over WebSocket
 * each binary message is one frame without a length prefix. Metadata and data stay raw bytes;
 * {@code metadata} is null when the frame has none.
 */
public sealed interface RSocketFrame {
    int streamId();

    int TYPE_SETUP = 0x01;
    int TYPE_KEEPALIVE = 0x03;
    int TYPE_REQUEST_RESPONSE = 0x04;
    int TYPE_REQUEST_FNF = 0x05;
    int TYPE_REQUEST_STREAM = 0x06;
    int TYPE_REQUEST_CHANNEL = 0x07;
    int TYPE_REQUEST_N = 0x08;
    int TYPE_CANCEL = 0x09;
    int TYPE_PAYLOAD = 0x0A;
    int TYPE_ERROR = 0x0B;
    int TYPE_METADATA_PUSH = 0x0C;

    int ERROR_INVALID_SETUP = 0x001;
    int ERROR_UNSUPPORTED_SETUP = 0x002;
    int ERROR_REJECTED_SETUP = 0x003;
    int ERROR_CONNECTION_ERROR = 0x101;
    int ERROR_CONNECTION_CLOSE = 0x102;
    int ERROR_APPLICATION_ERROR = 0x201;
    int ERROR_REJECTED = 0x202;
    int ERROR_CANCELED = 0x203;
    int ERROR_INVALID = 0x204;

    record Setup(int majorVersion, int minorVersion, int keepaliveIntervalMillis, int maxLifetimeMillis,
                 boolean resume, boolean lease, String metadataMimeType, String dataMimeType, byte[] metadata,
                 byte[] data) implements RSocketFrame {
        public int streamId() { return 0; }
    }

    record Keepalive(boolean respond, long lastReceivedPosition, byte[] data) implements RSocketFrame {
        public int streamId() { return 0; }
    }

    record RequestStream(int streamId, long initialRequestN, byte[] metadata, byte[] data) implements RSocketFrame {}

    record RequestN(int streamId, long requestN) implements RSocketFrame {}

    record Cancel(int streamId) implements RSocketFrame {}

    record Payload(int streamId, boolean next, boolean complete, byte[] metadata, byte[] data) implements RSocketFrame {}

    record Error(int streamId, int errorCode, String message) implements RSocketFrame {}

    /** A frame type Syncline does not serve (request-response, channel, lease, …). */
    record Other(int streamId, int type) implements RSocketFrame {}
}
