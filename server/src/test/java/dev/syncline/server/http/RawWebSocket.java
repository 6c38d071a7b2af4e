package dev.syncline.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A WebSocket client on a plain socket, for hostile clients: it reads only when told to, so a
 * client that "never reads" really leaves every byte in the kernel's buffers and the server's
 * queue (the JDK's client reads ahead on its own).
 */
final class RawWebSocket implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects and completes the upgrade handshake on {@code /sync/stream}. */
    static RawWebSocket open(int port) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        RawWebSocket ws = new RawWebSocket(socket);
        ws.out.write(("GET /sync/stream HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        ws.out.flush();
        socket.setSoTimeout(30_000);
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = ws.in.read();
            if (b < 0) {
                throw new IOException("closed during the handshake: " + head);
            }
            head.write(b);
        }
        if (!head.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 101")) {
            throw new IOException("upgrade refused: " + head);
        }
        return ws;
    }

    /** One masked binary message (the mask is zero: a valid key that leaves the bytes as they are). */
    void sendBinary(ByteBuffer payload) throws IOException {
        byte[] data = new byte[payload.remaining()];
        payload.get(data);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x82);
        if (data.length < 126) {
            frame.write(0x80 | data.length);
        } else {
            frame.write(0x80 | 126);
            frame.write(data.length >>> 8);
            frame.write(data.length & 0xFF);
        }
        frame.write(new byte[4]);
        frame.write(data);
        out.write(frame.toByteArray());
        out.flush();
    }

    /** A message from the server: opcode 2 (binary) or 8 (close); null at end of stream. */
    record Message(int opcode, byte[] payload) {}

    /** Reads the next message, waiting at most {@code timeout}. */
    Message read(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int b1 = in.readNBytes(1)[0] & 0x7F;
        long length = b1;
        if (b1 == 126) {
            byte[] l = in.readNBytes(2);
            length = ((l[0] & 0xFF) << 8) | (l[1] & 0xFF);
        } else if (b1 == 127) {
            length = ByteBuffer.wrap(in.readNBytes(8)).getLong();
        }
        return new Message(b0 & 0x0F, in.readNBytes((int) length));
    }

    /** True once the server closed the connection (a close frame or end of stream) within {@code timeout}. */
    boolean awaitClosed(Duration timeout) throws IOException {
        long end = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < end) {
                Message m = read(Duration.ofNanos(Math.max(1_000_000, end - System.nanoTime())));
                if (m == null || m.opcode() == 8) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
