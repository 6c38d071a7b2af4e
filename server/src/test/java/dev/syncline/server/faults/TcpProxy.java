package dev.syncline.server.faults;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy the fault campaign controls (plain java.nio, a virtual thread per direction), put
 * between clients and the server and between the server and PostgreSQL. It forwards bytes, or:
 * <ul>
 *   <li>{@link #cut()} — resets every connection and refuses new ones until {@link #heal()}
 *       (a partition both ends notice at once);</li>
 *   <li>{@link #blackhole()} — keeps connections open but forwards nothing, new ones included
 *       (a partition only timeouts notice);</li>
 *   <li>{@link #latency(long)} — delays each forwarded chunk.</li>
 * </ul>
 */
final class TcpProxy implements AutoCloseable {
    private enum Mode { OPEN, CUT, BLACKHOLE }

    private final String name;
    private final InetSocketAddress upstream;
    private final ServerSocketChannel listener;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.OPEN;
    private volatile long latencyMillis;
    private volatile boolean closed;

    TcpProxy(String name, int upstreamPort) throws IOException {
        this.name = name;
        this.upstream = new InetSocketAddress("127.0.0.1", upstreamPort);
        this.listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().name("proxy-" + name).start(this::acceptLoop);
    }

    int port() {
        return ((InetSocketAddress) listenerAddress()).getPort();
    }

    private java.net.SocketAddress listenerAddress() {
        try {
            return listener.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    void cut() {
        mode = Mode.CUT;
        for (SocketChannel c : open) {
            closeQuietly(c);
        }
    }

    void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    void latency(long millis) {
        latencyMillis = millis;
    }

    void heal() {
        latencyMillis = 0;
        mode = Mode.OPEN;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel downstream;
            try {
                downstream = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (mode == Mode.CUT) {
                closeQuietly(downstream);
                continue;
            }
            Thread.ofVirtual().name("proxy-" + name + "-link").start(() -> link(downstream));
        }
    }

    private void link(SocketChannel downstream) {
        SocketChannel up;
        try {
            up = SocketChannel.open(upstream);
        } catch (IOException e) {
            closeQuietly(downstream); // upstream down (server killed, PostgreSQL restarting)
            return;
        }
        open.add(downstream);
        open.add(up);
        if (mode == Mode.CUT) { // cut while this link was connecting
            closeQuietly(downstream);
            closeQuietly(up);
            return;
        }
        Thread.ofVirtual().start(() -> pump(downstream, up));
        pump(up, downstream);
    }

    private void pump(SocketChannel from, SocketChannel to) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (mode == Mode.BLACKHOLE && !closed) {
                    Thread.sleep(20);
                }
                if (mode == Mode.CUT) {
                    break;
                }
                long delay = latencyMillis;
                if (delay > 0) {
                    Thread.sleep(delay);
                }
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
        } catch (IOException | InterruptedException e) {
            // the other side or a cut closed the link
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        cut();
    }
}
