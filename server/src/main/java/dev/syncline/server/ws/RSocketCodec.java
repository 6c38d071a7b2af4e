package dev.syncline.server.ws;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Pure encoder/decoder of {@link RSocketFrame}s (RSocket 1.0 wire format, no length prefix). */
public final class RSocketCodec {
    private static final int FLAG_IGNORE = 0x200;
    private static final int FLAG_METADATA = 0x100;
    private static final int FLAG_FOLLOWS = 0x80;
    private static final int FLAG_RESPOND = 0x80;
    private static final int FLAG_RESUME = 0x80;
    private static final int FLAG_LEASE = 0x40;
    private static final int FLAG_COMPLETE = 0x40;
    private static final int FLAG_NEXT = 0x20;

    private RSocketCodec() {}

    /** Thrown for bytes that are not a valid frame. */
    public static final class MalformedFrameException extends RuntimeException {
        public MalformedFrameException(String message) {
            super(message);
        }
    }

    public static RSocketFrame decode(ByteBuffer in) {
        try {
            int streamId = in.getInt() & 0x7FFF_FFFF;
            int typeAndFlags = in.getShort() & 0xFFFF;
            int type = typeAndFlags >>> 10;
            int flags = typeAndFlags & 0x3FF;
            boolean hasMetadata = (flags & FLAG_METADATA) != 0;
            return switch (type) {
                case RSocketFrame.TYPE_SETUP -> {
                    int major = in.getShort() & 0xFFFF;
                    int minor = in.getShort() & 0xFFFF;
                    int keepalive = in.getInt();
                    int lifetime = in.getInt();
                    boolean resume = (flags & FLAG_RESUME) != 0;
                    if (resume) {
                        int tokenLength = in.getShort() & 0xFFFF;
                        in.position(in.position() + tokenLength);
                    }
                    String metadataMime = shortString(in);
                    String dataMime = shortString(in);
                    byte[] metadata = hasMetadata ? lengthPrefixed(in) : null;
                    yield new RSocketFrame.Setup(major, minor, keepalive, lifetime, resume, (flags & FLAG_LEASE) != 0,
                            metadataMime, dataMime, metadata, rest(in));
                }
                case RSocketFrame.TYPE_KEEPALIVE -> new RSocketFrame.Keepalive((flags & FLAG_RESPOND) != 0,
                        in.getLong(), rest(in));
                case RSocketFrame.TYPE_REQUEST_STREAM -> {
                    long n = in.getInt() & 0xFFFF_FFFFL;
                    byte[] metadata = hasMetadata ? lengthPrefixed(in) : null;
                    yield new RSocketFrame.RequestStream(streamId, n, metadata, rest(in));
                }
                case RSocketFrame.TYPE_REQUEST_N -> new RSocketFrame.RequestN(streamId, in.getInt() & 0xFFFF_FFFFL);
                case RSocketFrame.TYPE_CANCEL -> new RSocketFrame.Cancel(streamId);
                case RSocketFrame.TYPE_PAYLOAD -> {
                    byte[] metadata = hasMetadata ? lengthPrefixed(in) : null;
                    yield new RSocketFrame.Payload(streamId, (flags & FLAG_NEXT) != 0, (flags & FLAG_COMPLETE) != 0,
                            metadata, rest(in));
                }
                case RSocketFrame.TYPE_ERROR -> new RSocketFrame.Error(streamId, in.getInt(),
                        new String(rest(in), StandardCharsets.UTF_8));
                default -> new RSocketFrame.Other(streamId, type);
            };
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new MalformedFrameException("truncated or malformed RSocket frame");
        }
    }

    public static ByteBuffer encode(RSocketFrame frame) {
        return switch (frame) {
            case RSocketFrame.Payload p -> {
                int flags = (p.next() ? FLAG_NEXT : 0) | (p.complete() ? FLAG_COMPLETE : 0)
                        | (p.metadata() != null ? FLAG_METADATA : 0);
                ByteBuffer b = header(p.streamId(), RSocketFrame.TYPE_PAYLOAD, flags,
                        metadataSize(p.metadata()) + length(p.data()));
                putMetadata(b, p.metadata());
                putBytes(b, p.data());
                yield b.flip();
            }
            case RSocketFrame.Error e -> {
                byte[] message = e.message().getBytes(StandardCharsets.UTF_8);
                ByteBuffer b = header(e.streamId(), RSocketFrame.TYPE_ERROR, 0, 4 + message.length);
                b.putInt(e.errorCode()).put(message);
                yield b.flip();
            }
            case RSocketFrame.Keepalive k -> {
                ByteBuffer b = header(0, RSocketFrame.TYPE_KEEPALIVE, k.respond() ? FLAG_RESPOND : 0, 8 + length(k.data()));
                b.putLong(k.lastReceivedPosition());
                putBytes(b, k.data());
                yield b.flip();
            }
            case RSocketFrame.RequestN r -> {
                ByteBuffer b = header(r.streamId(), RSocketFrame.TYPE_REQUEST_N, 0, 4);
                yield b.putInt((int) Math.min(r.requestN(), Integer.MAX_VALUE)).flip();
            }
            case RSocketFrame.Cancel c -> header(c.streamId(), RSocketFrame.TYPE_CANCEL, 0, 0).flip();
            case RSocketFrame.RequestStream r -> {
                ByteBuffer b = header(r.streamId(), RSocketFrame.TYPE_REQUEST_STREAM,
                        r.metadata() != null ? FLAG_METADATA : 0, 4 + metadataSize(r.metadata()) + length(r.data()));
                b.putInt((int) Math.min(r.initialRequestN(), Integer.MAX_VALUE));
                putMetadata(b, r.metadata());
                putBytes(b, r.data());
                yield b.flip();
            }
            case RSocketFrame.Setup s -> {
                byte[] mm = s.metadataMimeType().getBytes(StandardCharsets.US_ASCII);
                byte[] dm = s.dataMimeType().getBytes(StandardCharsets.US_ASCII);
                ByteBuffer b = header(0, RSocketFrame.TYPE_SETUP, s.metadata() != null ? FLAG_METADATA : 0,
                        12 + 1 + mm.length + 1 + dm.length + metadataSize(s.metadata()) + length(s.data()));
                b.putShort((short) s.majorVersion()).putShort((short) s.minorVersion())
                        .putInt(s.keepaliveIntervalMillis()).putInt(s.maxLifetimeMillis());
                b.put((byte) mm.length).put(mm).put((byte) dm.length).put(dm);
                putMetadata(b, s.metadata());
                putBytes(b, s.data());
                yield b.flip();
            }
            case RSocketFrame.Other o -> throw new IllegalArgumentException("cannot encode frame type " + o.type());
        };
    }

    private static ByteBuffer header(int streamId, int type, int flags, int bodySize) {
        ByteBuffer b = ByteBuffer.allocate(6 + bodySize);
        b.putInt(streamId & 0x7FFF_FFFF);
        b.putShort((short) ((type << 10) | (flags & 0x3FF)));
        return b;
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static int metadataSize(byte[] metadata) {
        return metadata == null ? 0 : 3 + metadata.length;
    }

    private static void putMetadata(ByteBuffer b, byte[] metadata) {
        if (metadata != null) {
            b.put((byte) (metadata.length >>> 16)).put((byte) (metadata.length >>> 8)).put((byte) metadata.length);
            b.put(metadata);
        }
    }

    private static void putBytes(ByteBuffer b, byte[] bytes) {
        if (bytes != null) {
            b.put(bytes);
        }
    }

    private static String shortString(ByteBuffer in) {
        int length = in.get() & 0xFF;
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static byte[] lengthPrefixed(ByteBuffer in) {
        int length = ((in.get() & 0xFF) << 16) | ((in.get() & 0xFF) << 8) | (in.get() & 0xFF);
        byte[] bytes = new byte[length];
        in.get(bytes);
        return bytes;
    }

    private static byte[] rest(ByteBuffer in) {
        byte[] bytes = new byte[in.remaining()];
        in.get(bytes);
        return bytes;
    }
}
