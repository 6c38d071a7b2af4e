package dev.syncline.bench;

import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Issue 17 / P9: what the server costs to produce a first-sync stream, without any client cost.
 * The whole server (real PostgreSQL, rules, SQLite storage, HTTP) on P4's 100k todos (an
 * 80-character description, as {@link BrowserInitialSyncBench}); the stream is read by a null
 * consumer on this thread (it only finds line ends) until {@code checkpoint_complete}, in standard
 * NDJSON, compact rows and BSON (what stock clients ask for over HTTP), each without and with gzip,
 * compact rows and BSON also with zstd (what browsers get: they accept it).
 *
 * <p>Reports per format the median wall time, time to the first complete data line, bytes, and the
 * server's CPU per 100k ops: the CPU of every JVM thread but this one over the sync (Jetty's threads,
 * virtual-thread carriers, storage), and the process's CPU minus this thread's (adds GC and JIT).
 * The server shares the JVM with the consumer, so both are measured around the same sync; on a
 * loaded machine the CPU figures stay comparable where the wall times do not.
 * Usage: {@code bench/run stream [rows=100000] [rounds=5]}; profile with
 * {@code BENCH_JAVA_OPTS="-Xmx2g -XX:StartFlightRecording=filename=stream.jfr,settings=profile" bench/run stream}.
 */
public final class StreamBench {
    private static final String COMPACT = "application/vnd.syncline.compact+ndjson";
    private static final String BSON = "application/vnd.powersync.bson-stream";

    /** coding: the Accept-Encoding sent (and the Content-Encoding expected), or null for none. */
    private record Format(String name, String accept, String coding) {}

    private static final List<Format> FORMATS = List.of(
            new Format("standard", "application/x-ndjson", null),
            new Format("compact", COMPACT, null),
            new Format("standard+gzip", "application/x-ndjson", "gzip"),
            new Format("compact+gzip", COMPACT, "gzip"),
            // What browsers get (they accept zstd); our SDK asks for compact rows.
            new Format("compact+zstd", COMPACT, "zstd"),
            // What stock clients ask for over HTTP (@powersync/node: bson-stream;q=0.9, x-ndjson;q=0.8).
            new Format("bson", BSON, null),
            new Format("bson+gzip", BSON, "gzip"),
            new Format("bson+zstd", BSON, "zstd"));

    record Result(double seconds, double firstDataSeconds, long bytes, long wireBytes, long lines, long serverThreadsCpuNs,
                  long serverProcessCpuNs) {}

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("syncline-stream");
        try (PostgresTestServer server = PostgresTestServer.start();
             // Every request's stream stays open on the server until its next keepalive write finds the
             // client gone: more than the default 50 per user in a run of warm-ups and rounds.
             RunningApp running = RunningApp.start(server, dir, "api:\n  parameters:\n    max_streams_per_user: 1000\n")) {
            running.awaitReady();
            running.db.execute("INSERT INTO todos SELECT 'b' || g, 'l1', rpad('todo number ' || g, 80, '.'), g % 2 = 0, g "
                    + "FROM generate_series(1, " + rows + ") g");
            long expected = rows + 4L; // + lists l1 and l2 and the sample todos t1 and t2
            HttpClient http = HttpClient.newHttpClient();
            while (InitialSyncBench.syncOnce(running, http, dir.resolve("probe-" + System.nanoTime() + ".db")).rows()
                    < expected) {
                Thread.sleep(2000);
            }
            String token = running.token("alice");
            // Warm-up: the JIT compiles the encoding paths before anything is counted.
            for (int i = 0; i < 3; i++) {
                for (Format f : FORMATS) {
                    syncOnce(running.endpoint(), token, f);
                }
            }
            StringBuilder table = new StringBuilder("| date | load (1/5/15 min) | round | format | lines | bytes (uncompressed) "
                    + "| bytes on the wire | seconds | first data line (s) | server CPU, JVM threads (ms / 100k ops) "
                    + "| server CPU, process − consumer (ms / 100k ops) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
            Map<String, List<Result>> results = new LinkedHashMap<>();
            for (int round = 1; round <= rounds; round++) {
                for (Format f : FORMATS) {
                    String load = Load.average();
                    Result r = syncOnce(running.endpoint(), token, f);
                    results.computeIfAbsent(f.name, k -> new ArrayList<>()).add(r);
                    table.append(String.format("| %s | %s | %d | %s | %d | %d | %d | %.3f | %.3f | %.0f | %.0f |%n",
                            LocalDate.now(), load, round, f.name, r.lines, r.bytes, r.wireBytes, r.seconds,
                            r.firstDataSeconds, perHundredK(r.serverThreadsCpuNs, expected),
                            perHundredK(r.serverProcessCpuNs, expected)));
                }
            }
            table.append("\nmedians over ").append(rounds).append(" rounds (").append(expected).append(" ops):\n");
            results.forEach((name, rs) -> table.append(String.format(
                    "- %s: %.3f s, first data line %.3f s, %.1f MB (%.1f MB on the wire), server CPU %.0f ms / 100k ops "
                            + "(JVM threads), %.0f ms (process − consumer)%n", name,
                    median(rs, Result::seconds), median(rs, Result::firstDataSeconds), rs.getFirst().bytes / 1e6,
                    rs.getFirst().wireBytes / 1e6, perHundredK((long) median(rs, r -> r.serverThreadsCpuNs), expected),
                    perHundredK((long) median(rs, r -> r.serverProcessCpuNs), expected))));
            table.append("load at the end: ").append(Load.average()).append('\n');
            System.out.print(table);
            ResultFile.write("stream-" + rows, table.toString());
        }
    }

    private static double perHundredK(long nanos, long ops) {
        return nanos / 1e6 * 100_000 / ops;
    }

    private static double median(List<Result> rs, java.util.function.ToDoubleFunction<Result> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        return v[v.length / 2];
    }

    /** One first sync as alice, read and dropped up to checkpoint_complete. */
    static Result syncOnce(String endpoint, String token, Format format) throws IOException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long threadsBefore = allThreadsCpu(threads);
        long processBefore = os.getProcessCpuTime();
        long mineBefore = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        HttpURLConnection c = (HttpURLConnection) URI.create(endpoint + "/sync/stream").toURL().openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Authorization", "Token " + token);
        c.setRequestProperty("Content-Type", "application/json");
        c.setRequestProperty("Accept", format.accept);
        if (format.coding != null) {
            c.setRequestProperty("Accept-Encoding", format.coding);
        }
        try (OutputStream body = c.getOutputStream()) {
            body.write("{}".getBytes(StandardCharsets.UTF_8));
        }
        if (c.getResponseCode() != 200) {
            throw new IOException("sync stream answered " + c.getResponseCode());
        }
        long firstData = -1;
        long bytes = 0;
        long lines = 0;
        CountingInput wire = new CountingInput(c.getInputStream());
        if (!java.util.Objects.equals(c.getHeaderField("Content-Encoding"), format.coding)) {
            throw new IOException(format.name + ": the server answered Content-Encoding " + c.getHeaderField("Content-Encoding"));
        }
        InputStream decoded = format.coding == null ? wire
                : format.coding.equals("gzip") ? new GZIPInputStream(wire, 64 * 1024)
                : new dev.syncline.server.testing.ZstdDecoding(wire);
        try (InputStream in = decoded) {
            if (format.accept.equals(BSON)) {
                long[] counted = readBson(in, start);
                firstData = counted[0];
                bytes = counted[1];
                lines = counted[2];
                return finish(c, start, firstData, bytes, wire.count, lines, threads, os, threadsBefore, processBefore,
                        mineBefore);
            }
            byte[] buf = new byte[64 * 1024];
            // The first bytes of the current line, enough to tell its kind.
            byte[] head = new byte[24];
            int headLength = 0;
            boolean done = false;
            while (!done) {
                int n = in.read(buf);
                if (n < 0) {
                    throw new IOException("the stream ended before checkpoint_complete");
                }
                bytes += n;
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n') {
                        lines++;
                        String kind = new String(head, 0, headLength, StandardCharsets.UTF_8);
                        if (firstData < 0 && (kind.startsWith("{\"data\"") || kind.startsWith("{\"rows\""))) {
                            firstData = System.nanoTime();
                        } else if (kind.startsWith("{\"checkpoint_complete\"")) {
                            done = true;
                            break;
                        }
                        headLength = 0;
                    } else if (headLength < head.length) {
                        head[headLength++] = b;
                    }
                }
            }
        }
        return finish(c, start, firstData, bytes, wire.count, lines, threads, os, threadsBefore, processBefore, mineBefore);
    }

    private static Result finish(HttpURLConnection c, long start, long firstData, long bytes, long wireBytes, long lines,
                                 ThreadMXBean threads, com.sun.management.OperatingSystemMXBean os, long threadsBefore,
                                 long processBefore, long mineBefore) {
        c.disconnect();
        long end = System.nanoTime();
        long mine = threads.getCurrentThreadCpuTime() - mineBefore;
        long serverThreads = allThreadsCpu(threads) - threadsBefore - mine;
        long serverProcess = os.getProcessCpuTime() - processBefore - mine;
        return new Result((end - start) / 1e9, (firstData - start) / 1e9, bytes, wireBytes, lines, serverThreads,
                serverProcess);
    }

    /** BSON documents up to the one whose key is checkpoint_complete: {first data document's time, bytes, documents}. */
    private static long[] readBson(InputStream in, long start) throws IOException {
        long firstData = -1;
        long bytes = 0;
        long documents = 0;
        byte[] doc = new byte[1 << 20];
        while (true) {
            byte[] header = in.readNBytes(4);
            if (header.length < 4) {
                throw new IOException("the stream ended before checkpoint_complete");
            }
            int length = (header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16 | (header[3] & 0xFF) << 24;
            if (doc.length < length) {
                doc = new byte[length];
            }
            if (in.readNBytes(doc, 0, length - 4) < length - 4) {
                throw new IOException("the stream ended inside a document");
            }
            bytes += length;
            documents++;
            // The first element: type byte, then its name as a C string.
            int end = 1;
            while (doc[end] != 0) {
                end++;
            }
            String key = new String(doc, 1, end - 1, StandardCharsets.UTF_8);
            if (firstData < 0 && key.equals("data")) {
                firstData = System.nanoTime();
            } else if (key.equals("checkpoint_complete")) {
                return new long[] {firstData, bytes, documents};
            }
        }
    }

    /** CPU of the JVM's live platform threads (virtual threads count through their carriers). */
    private static long allThreadsCpu(ThreadMXBean threads) {
        long sum = 0;
        for (long id : threads.getAllThreadIds()) {
            long t = threads.getThreadCpuTime(id);
            if (t > 0) {
                sum += t;
            }
        }
        return sum;
    }

    private static final class CountingInput extends java.io.FilterInputStream {
        long count;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
