package dev.syncline.server.interop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP relay in front of the server that records the head (and a small body prefix) of
 * every HTTP/1.1 request passing through, so the test can say which paths and headers a real
 * client uses without touching the server. It can replace request headers on the way (to make a
 * client that prefers BSON + gzip receive plain NDJSON); responses are relayed untouched. After a
 * request with an {@code Upgrade} header (a WebSocket handshake) the connection is relayed as raw bytes.
 */
final class RecordingProxy implements AutoCloseable {
    /** One request as the client sent it; header names lower-cased. */
    record Request(String method, String path, Map<String, String> headers, String body) {}

    private static final int MAX_BODY_KEPT = 4096;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    /** The first response head on each connection (status line and headers), as the server sent it. */
    final List<String> responseHeads = new CopyOnWriteArrayList<>();
    private final ServerSocket listener;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Map<String, String> replacedHeaders;

    /** @param replacedHeaders lower-case header name → value sent instead; an empty value drops the header */
    RecordingProxy(int targetPort, Map<String, String> replacedHeaders) throws IOException {
        this.targetPort = targetPort;
        this.replacedHeaders = Map.copyOf(replacedHeaders);
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("proxy-accept").start(this::accept);
    }

    int port() {
        return listener.getLocalPort();
    }

    private void accept() {
        try {
            while (true) {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(server);
                Thread.ofVirtual().start(() -> relayRequests(client, server));
                Thread.ofVirtual().start(() -> relayResponses(server, client));
            }
        } catch (IOException closed) {
            // listener closed
        }
    }

    /** Client → server: parse each request head, record it, forward head and body byte for byte. */
    private void relayRequests(Socket client, Socket server) {
        try (client; server) {
            InputStream in = client.getInputStream();
            OutputStream out = server.getOutputStream();
            while (true) {
                byte[] head = readHead(in);
                if (head == null) {
                    return;
                }
                List<String> lines = List.of(new String(head, StandardCharsets.ISO_8859_1).split("\r\n"));
                String[] requestLine = lines.getFirst().split(" ");
                Map<String, String> headers = new LinkedHashMap<>();
                StringBuilder forwarded = new StringBuilder(lines.getFirst()).append("\r\n");
                for (String line : lines.subList(1, lines.size())) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                        headers.put(name, line.substring(colon + 1).trim());
                        String replacement = replacedHeaders.get(name);
                        if (replacement == null) {
                            forwarded.append(line).append("\r\n");
                        } else if (!replacement.isEmpty()) {
                            forwarded.append(name).append(": ").append(replacement).append("\r\n");
                        }
                    }
                }
                out.write(forwarded.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                if (headers.containsKey("content-length")) {
                    long left = Long.parseLong(headers.get("content-length"));
                    byte[] buf = new byte[8192];
                    while (left > 0) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                        if (n < 0) {
                            return;
                        }
                        out.write(buf, 0, n);
                        body.write(buf, 0, Math.min(n, Math.max(0, MAX_BODY_KEPT - body.size())));
                        left -= n;
                    }
                }
                out.flush();
                if (headers.containsKey("upgrade")) {
                    // a WebSocket handshake: from here on the connection carries frames, not requests
                    requests.add(new Request(requestLine[0], requestLine.length > 1 ? requestLine[1] : "", headers, ""));
                    in.transferTo(out);
                    return;
                }
                boolean chunked = "chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""));
                requests.add(new Request(requestLine[0], requestLine.length > 1 ? requestLine[1] : "", headers,
                        chunked ? "<chunked body not recorded>" : body.toString(StandardCharsets.UTF_8)));
                if (chunked) {
                    in.transferTo(out); // keeping request boundaries is not worth a chunk parser here
                    return;
                }
            }
        } catch (IOException e) {
            // either side closed
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toByteArray();
    }

    private void relayResponses(Socket server, Socket client) {
        try (server; client) {
            byte[] head = readHead(server.getInputStream());
            if (head == null) {
                return;
            }
            responseHeads.add(new String(head, StandardCharsets.ISO_8859_1).strip().replace("\r\n", " | "));
            client.getOutputStream().write(head);
            server.getInputStream().transferTo(client.getOutputStream());
        } catch (IOException e) {
            // either side closed
        }
    }

    /** A readable listing for the test log. */
    String describe() {
        List<String> out = new ArrayList<>();
        for (Request r : requests) {
            out.add(r.method() + " " + r.path() + " " + r.headers() + (r.body().isEmpty() ? "" : " body=" + r.body()));
        }
        responseHeads.forEach(h -> out.add("response: " + h));
        return String.join("\n", out);
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
