package dev.syncline.bench;

import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.http.ContentCoding;
import dev.syncline.server.http.StreamFormat;
import io.javalin.Javalin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The stream that costs nothing, made of the server's own bytes: before the timed rounds, the real
 * server's answer to a first sync is recorded once per (format, Content-Encoding) a bench's clients
 * will ask for, from the first byte up to and including the first {@code checkpoint_complete} (for
 * gzip: up to the sync flush that follows it, so the client can inflate everything it got; for zstd: up
 * to the end of its frame). A
 * request is then answered with the recording its {@code Accept} and {@code Accept-Encoding} select,
 * chosen by the server's own rules ({@link Variant#of}), written from memory in 64 KiB pieces through
 * the same HTTP stack as the server (Javalin on Jetty), and the response is held open afterwards, as
 * the server holds a live stream. So a client gets the same rows (with their subkeys), the same
 * framing (NDJSON, BSON or compact rows) and the same compressed bytes as from the server, and the
 * difference between the two figures is the server's production of those bytes, not different work
 * in the client. A request this stream cannot answer exactly (no recording for its format and
 * encoding, or a request body that asks the server for something else than the recorded first sync)
 * is answered 500 and fails the bench ({@link #requireNoFailures()}): there is no fallback to
 * synthetic data. (The older synthetic stream, {@code clients/web/bench/canned-stream.mjs}, remains
 * a development aid for the web SDK.)
 */
final class CannedStream implements AutoCloseable {
    /** One response variant: the framing the server chooses from Accept, and its content coding. */
    record Variant(StreamFormat format, ContentCoding coding) {
        /**
         * The server's choice for these request headers (SyncHttpServer.syncStream: {@link
         * StreamFormat#negotiate} on Accept, {@link ContentCoding#negotiate} on Accept-Encoding).
         */
        static Variant of(String accept, String acceptEncoding) {
            return new Variant(StreamFormat.negotiate(accept), ContentCoding.negotiate(acceptEncoding));
        }

        boolean gzip() {
            return coding == ContentCoding.GZIP;
        }

        /** The Accept header that selects this variant's format (used to record it). */
        String accept() {
            return format.contentType();
        }

        @Override
        public String toString() {
            return format + (coding.header() != null ? " + " + coding.header() : " (no Content-Encoding)");
        }
    }

    /** The server's bytes for one variant. */
    record Recording(Variant variant, String contentType, byte[] body, long decodedBytes, Map<String, Integer> lines,
                     double seconds) {}

    /**
     * What the benches record: the clients they run ask for NDJSON, BSON or compact rows, with
     * {@code Accept-Encoding} naming zstd (browsers: {@code gzip, deflate, br, zstd}) or only gzip
     * ({@code @powersync/node}: {@code gzip, deflate}).
     */
    static final List<Variant> VARIANTS = java.util.stream.Stream.of(ContentCoding.GZIP, ContentCoding.ZSTD)
            .flatMap(c -> java.util.stream.Stream.of(StreamFormat.NDJSON, StreamFormat.BSON, StreamFormat.COMPACT)
                    .map(f -> new Variant(f, c)))
            .toList();

    /** The first-sync request the recordings answer (a fresh client: no buckets, no parameters, default streams). */
    static final String RECORDED_REQUEST = "{\"buckets\":[],\"include_checksum\":true,\"raw_data\":true,"
            + "\"client_id\":\"syncline-canned-recording\"}";
    private static final int WRITE_BYTES = 64 * 1024;
    private static final Duration RECORD_TIMEOUT = Duration.ofMinutes(5);

    private final Map<Variant, Recording> recordings;
    private final StreamingSyncRequest recordedRequest = StreamingSyncRequest.parse(RECORDED_REQUEST.getBytes(StandardCharsets.UTF_8));
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final Map<Variant, AtomicInteger> served = new java.util.concurrent.ConcurrentHashMap<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Javalin app;
    final String endpoint;

    private CannedStream(Map<Variant, Recording> recordings) {
        this.recordings = recordings;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.concurrency.useVirtualThreads = true;
            config.routes.before(ctx -> {
                if (ctx.header("Origin") != null) { // the server's CORS headers for an allowed origin (Cors.headers)
                    ctx.header("Access-Control-Allow-Origin", "*");
                    ctx.header("Vary", "Origin");
                    ctx.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
                    ctx.header("Access-Control-Allow-Headers", "authorization, content-type, x-user-agent, accept");
                    ctx.header("Access-Control-Max-Age", "600");
                }
            });
            config.routes.options("/*", ctx -> ctx.status(204));
            config.routes.post("/sync/stream", this::serve);
        }).start("127.0.0.1", 0);
        this.endpoint = "http://127.0.0.1:" + app.port();
    }

    /**
     * Records the server's first sync for {@code token} once per variant, then serves the recordings.
     * Throws if any recording cannot be made (an error status, other headers than the variant's, a
     * stream that ends or stalls before {@code checkpoint_complete}).
     */
    static CannedStream record(String serverEndpoint, String token, List<Variant> variants) throws Exception {
        Map<Variant, Recording> recordings = new LinkedHashMap<>();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (Variant v : variants) {
            if (!recordings.containsKey(v)) {
                recordings.put(v, recordOne(http, serverEndpoint, token, v));
            }
        }
        return new CannedStream(recordings);
    }

    private static Recording recordOne(HttpClient http, String serverEndpoint, String token, Variant v) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(serverEndpoint + "/sync/stream"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .header("Accept", v.accept())
                .POST(HttpRequest.BodyPublishers.ofString(RECORDED_REQUEST));
        if (v.coding().header() != null) {
            request.header("Accept-Encoding", v.coding().header());
        }
        long start = System.nanoTime();
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        String what = "recording the server's first sync (" + v + ")";
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new IllegalStateException(what + ": status " + response.statusCode() + ": "
                        + new String(body.readNBytes(2000), StandardCharsets.UTF_8));
            }
            String type = response.headers().firstValue("Content-Type").orElse("");
            String encoding = response.headers().firstValue("Content-Encoding").orElse("");
            if (!type.startsWith(v.format().contentType()) || !encoding.equals(java.util.Objects.requireNonNullElse(v.coding().header(), ""))) {
                throw new IllegalStateException(what + ": the server answered Content-Type " + type + ", Content-Encoding '"
                        + encoding + "'");
            }
            ExecutorService reader = Executors.newVirtualThreadPerTaskExecutor();
            try {
                Future<Recorder> done = reader.submit(() -> {
                    Recorder r = new Recorder(v);
                    byte[] buf = new byte[64 * 1024];
                    while (!r.complete()) {
                        int n = body.read(buf);
                        if (n < 0) {
                            throw new IllegalStateException(what + ": the stream ended before checkpoint_complete "
                                    + "(lines so far: " + r.scanner.lines + ")");
                        }
                        r.accept(buf, 0, n);
                    }
                    return r;
                });
                Recorder r;
                try {
                    r = done.get(RECORD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    body.close();
                    throw new IllegalStateException(what + ": no checkpoint_complete within " + RECORD_TIMEOUT, e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(what + ": " + e.getCause().getMessage(), e.getCause());
                }
                return new Recording(v, type, r.raw.toByteArray(), r.scanner.bytes, r.scanner.lines,
                        (System.nanoTime() - start) / 1e9);
            } finally {
                reader.shutdownNow();
            }
        }
    }

    /** Collects the raw body and decides when it holds the whole first checkpoint. */
    static final class Recorder {
        final ByteArrayOutputStream raw = new ByteArrayOutputStream(1 << 20);
        final FrameScanner scanner;
        private final Inflater inflater;
        private int headerLeft = 10;
        /** The last four bytes received, big-endian. */
        private int tail;
        private final byte[] out = new byte[256 * 1024];
        /** For zstd: a decoder of the frames received (each server write is a whole frame). */
        private final com.github.luben.zstd.ZstdDecompressCtx zstd;
        private boolean zstdAtFrameEnd = true;

        Recorder(Variant v) {
            this.scanner = new FrameScanner(v.format() == StreamFormat.BSON);
            this.inflater = v.gzip() ? new Inflater(true) : null;
            this.zstd = v.coding() == ContentCoding.ZSTD ? new com.github.luben.zstd.ZstdDecompressCtx() : null;
        }

        void accept(byte[] b, int off, int len) throws IOException {
            raw.write(b, off, len);
            for (int i = Math.max(off, off + len - 4); i < off + len; i++) {
                tail = tail << 8 | (b[i] & 0xff);
            }
            if (zstd != null) {
                java.nio.ByteBuffer src = java.nio.ByteBuffer.wrap(b, off, len);
                java.nio.ByteBuffer dst = java.nio.ByteBuffer.wrap(out);
                do {
                    dst.clear();
                    zstdAtFrameEnd = zstd.decompressByteBufferStream(dst, src);
                    scanner.accept(out, 0, dst.position());
                } while (src.hasRemaining() || !dst.hasRemaining());
                return;
            }
            if (inflater == null) {
                scanner.accept(b, off, len);
                return;
            }
            if (headerLeft > 0) { // GZIPOutputStream's fixed 10-byte header: 1f 8b 08 00 (no flags) …
                int skip = Math.min(headerLeft, len);
                headerLeft -= skip;
                off += skip;
                len -= skip;
                if (headerLeft == 0) {
                    byte[] h = raw.toByteArray();
                    if ((h[0] & 0xff) != 0x1f || (h[1] & 0xff) != 0x8b || h[2] != 8 || h[3] != 0) {
                        throw new IOException("not a gzip header without flags: " + java.util.HexFormat.of().formatHex(h, 0, 10));
                    }
                }
            }
            if (len == 0) {
                return;
            }
            inflater.setInput(b, off, len);
            try {
                while (true) {
                    int n = inflater.inflate(out);
                    if (n > 0) {
                        scanner.accept(out, 0, n);
                    } else if (inflater.needsInput() || inflater.finished()) {
                        break;
                    } else if (inflater.needsDictionary()) {
                        throw new IOException("gzip stream needs a dictionary");
                    }
                }
            } catch (DataFormatException e) {
                throw new IOException("invalid gzip data", e);
            }
        }

        /**
         * The first checkpoint_complete has been read and the body ends on a whole line (or BSON
         * document); for gzip, also on the sync flush the server does after it (an empty stored
         * block, {@code 00 00 ff ff}), so every byte of the checkpoint can be inflated from the recording;
         * for zstd, at the end of a frame.
         */
        boolean complete() {
            if (!scanner.sawCheckpointComplete || !scanner.atBoundary()) {
                return false;
            }
            if (zstd != null) {
                return zstdAtFrameEnd;
            }
            if (inflater == null) {
                return true;
            }
            return raw.size() >= 14 && tail == 0x0000ffff;
        }
    }

    /**
     * Splits a decoded stream into lines (NDJSON, compact rows) or length-prefixed documents (BSON),
     * counts them by their first key, and notes the first {@code checkpoint_complete}.
     */
    static final class FrameScanner {
        private final boolean bson;
        private byte[] pending = new byte[64 * 1024];
        private int length;
        long bytes;
        boolean sawCheckpointComplete;
        final Map<String, Integer> lines = new LinkedHashMap<>();

        FrameScanner(boolean bson) {
            this.bson = bson;
        }

        boolean atBoundary() {
            return length == 0;
        }

        void accept(byte[] b, int off, int len) throws IOException {
            bytes += len;
            if (length + len > pending.length) {
                pending = java.util.Arrays.copyOf(pending, Math.max(pending.length * 2, length + len));
            }
            System.arraycopy(b, off, pending, length, len);
            length += len;
            int start = 0;
            while (true) {
                int end = bson ? bsonEnd(start) : lineEnd(start);
                if (end < 0) {
                    break;
                }
                String key = bson ? bsonFirstKey(start) : jsonFirstKey(start, end);
                lines.merge(key, 1, Integer::sum);
                if (key.equals("checkpoint_complete")) {
                    sawCheckpointComplete = true;
                }
                start = end;
            }
            System.arraycopy(pending, start, pending, 0, length - start);
            length -= start;
        }

        /** Index just past the '\n' ending the line at {@code start}, or -1. */
        private int lineEnd(int start) {
            for (int i = start; i < length; i++) {
                if (pending[i] == '\n') {
                    return i + 1;
                }
            }
            return -1;
        }

        private int bsonEnd(int start) throws IOException {
            if (length - start < 4) {
                return -1;
            }
            int size = (pending[start] & 0xff) | (pending[start + 1] & 0xff) << 8 | (pending[start + 2] & 0xff) << 16
                    | (pending[start + 3] & 0xff) << 24;
            if (size < 5) {
                throw new IOException("BSON document of " + size + " bytes");
            }
            return length - start >= size ? start + size : -1;
        }

        /** The name of the document's first element (type byte at +4, then a C string). */
        private String bsonFirstKey(int start) {
            int from = start + 5;
            int to = from;
            while (pending[to] != 0) {
                to++;
            }
            return new String(pending, from, to - from, StandardCharsets.UTF_8);
        }

        /** The first field name of a JSON object line: {@code {"name":…}}. */
        private String jsonFirstKey(int start, int end) throws IOException {
            int i = start;
            while (i < end && pending[i] != '"') {
                i++;
            }
            int to = i + 1;
            while (to < end && pending[to] != '"') {
                to++;
            }
            if (i >= end || to >= end) {
                throw new IOException("not a JSON object line: "
                        + new String(pending, start, Math.min(end - start, 80), StandardCharsets.UTF_8));
            }
            return new String(pending, i + 1, to - i - 1, StandardCharsets.UTF_8);
        }
    }

    /** Why this request cannot be answered with the recording (null: it can): the server would answer it differently. */
    static String mismatch(StreamingSyncRequest recorded, StreamingSyncRequest asked) {
        if (!asked.buckets().equals(recorded.buckets())) {
            return "the request names buckets " + asked.buckets() + " (the recording is a first sync, with none)";
        }
        if (!asked.parametersJson().equals(recorded.parametersJson())) {
            return "the request has client parameters " + asked.parametersJson() + " (recorded: " + recorded.parametersJson() + ")";
        }
        if (!asked.streams().equals(recorded.streams())) {
            return "the request subscribes to streams " + asked.streams() + " (recorded: " + recorded.streams() + ")";
        }
        return null;
    }

    private void serve(io.javalin.http.Context ctx) throws IOException, InterruptedException {
        Variant v = Variant.of(ctx.header("Accept"), ctx.header("Accept-Encoding"));
        Recording r = recordings.get(v);
        String problem;
        if (r == null) {
            problem = "no recording of the server's stream for " + v + " (Accept: " + ctx.header("Accept")
                    + ", Accept-Encoding: " + ctx.header("Accept-Encoding") + "; recorded: " + recordings.keySet() + ")";
        } else {
            try {
                problem = mismatch(recordedRequest, StreamingSyncRequest.parse(ctx.bodyAsBytes()));
            } catch (RuntimeException e) {
                problem = "unreadable request body: " + e.getMessage();
            }
        }
        if (problem != null) {
            failures.add(problem);
            System.err.println("canned stream: cannot answer exactly: " + problem);
            ctx.status(500).contentType("text/plain").result("canned stream: " + problem);
            return;
        }
        ctx.status(200).contentType(r.contentType());
        ctx.header("X-Accel-Buffering", "no");
        ctx.header("Cache-Control", "no-store");
        if (v.coding().header() != null) {
            ctx.header("Content-Encoding", v.coding().header());
        }
        served.computeIfAbsent(v, k -> new AtomicInteger()).incrementAndGet();
        OutputStream out = ctx.res().getOutputStream();
        byte[] body = r.body();
        try {
            for (int off = 0; off < body.length; off += WRITE_BYTES) {
                out.write(body, off, Math.min(WRITE_BYTES, body.length - off));
            }
            out.flush();
        } catch (IOException e) {
            return; // the client went away
        }
        // A live stream, like the server's: it stays open after the checkpoint until the client goes (or the bench ends).
        closed.await();
    }

    /** Throws if any request was answered 500 because no recording fitted it. */
    void requireNoFailures() {
        if (!failures.isEmpty()) {
            throw new IllegalStateException("the canned stream could not answer " + failures.size()
                    + " request(s) with the server's recorded bytes: " + failures);
        }
    }

    /** What the canned stream served, for the result file. */
    String describe() {
        StringBuilder s = new StringBuilder("canned stream: the server's own first sync, recorded once per variant before "
                + "the timed rounds (up to its first checkpoint_complete; served from memory, held open afterwards):\n");
        for (Recording r : recordings.values()) {
            s.append(String.format("- %s (%s%s): %,d bytes on the wire, %,d decoded; lines by first key %s; requests "
                            + "served %d; recorded in %.2f s%n", r.variant(), r.contentType(),
                    r.variant().coding().header() != null ? ", Content-Encoding " + r.variant().coding().header() : "", r.body().length, r.decodedBytes(), r.lines(),
                    served.getOrDefault(r.variant(), new AtomicInteger()).get(), r.seconds()));
        }
        return s.toString();
    }

    @Override
    public void close() {
        closed.countDown();
        app.stop();
    }
}
