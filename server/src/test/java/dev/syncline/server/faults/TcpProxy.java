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
 *   <li>{@link #blackhole()} — keeps connections open but forwards nothing, new ones included, and
 *       stops reading (after at most one chunk per direction, held until the heal): a partition
 *       that drops packets, which only timeouts notice. Unlike a real one, the kernels on both
 *       sides still acknowledge (the proxy's sockets are alive), so TCP keepalives do not notice it;
 *       only application-level timeouts do;</li>
 *   <li>{@link #latency(long)} — delays each forwarded chunk.</li>
 * </ul>
 */
public final class TcpProxy implements AutoCloseable {
    private enum Mode { OPEN, CUT, BLACKHOLE }

    private final String name;
    private final java.util.List<InetSocketAddress> upstreams;
    private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    private final ServerSocketChannel listener;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.OPEN;
    private volatile long latencyMillis;
    private volatile boolean closed;

    public TcpProxy(String name, int upstreamPort) throws IOException {
        this(name, java.util.List.of(upstreamPort));
    }

    /**
     * A proxy in front of several upstreams (server nodes behind a load balancer): each new
     * connection goes to the next one in turn, or to the one after when that one refuses (a node
     * killed and not back yet).
     */
    public TcpProxy(String name, java.util.List<Integer> upstreamPorts) throws IOException {
        this.name = name;
        this.upstreams = upstreamPorts.stream().map(p -> new InetSocketAddress("127.0.0.1", p)).toList();
        this.listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().name("proxy-" + name).start(this::acceptLoop);
    }

    public int port() {
        return ((InetSocketAddress) listenerAddress()).getPort();
    }

    private java.net.SocketAddress listenerAddress() {
        try {
            return listener.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void cut() {
        mode = Mode.CUT;
        for (SocketChannel c : open) {
            closeQuietly(c);
        }
    }

    public void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    public void latency(long millis) {
        latencyMillis = millis;
    }

    public void heal() {
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
        SocketChannel up = null;
        int first = Math.floorMod(next.getAndIncrement(), upstreams.size());
        for (int i = 0; i < upstreams.size() && up == null; i++) {
            try {
                up = SocketChannel.open(upstreams.get((first + i) % upstreams.size()));
            } catch (IOException e) {
                // this upstream is down (server killed, PostgreSQL restarting): the next one
            }
        }
        if (up == null) {
            closeQuietly(downstream);
            return;
        }
        link(downstream, up);
    }

    private void link(SocketChannel downstream, SocketChannel up) {
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
