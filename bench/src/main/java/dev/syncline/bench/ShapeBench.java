package dev.syncline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * BENCHMARKS.md P11 (issue 16): Syncline's Electric Shape API ({@code GET /v1/shape}) driven by the
 * stock {@code @electric-sql/client} in node ({@code bench/electric/shapes-bench.mjs}, the pinned
 * client of clients/interop-electric), beside the PowerSync-protocol figures P3 and P2 measured on
 * the same server in the same run:
 * <ol>
 *   <li><b>Initial sync</b>: {@code rows} todos in one list of alice's; each round, alternating which
 *       goes first, P3's first sync ({@link BenchSyncClient} over {@code /sync/stream}, applied to
 *       SQLite, time from request to commit) and a first shape sync of {@code todos} from offset -1
 *       (time from creating the {@code ShapeStream} to the client's {@code Shape} being up to date with
 *       every row, in memory, as an app reads it, in a fresh node process as a user's app starts),
 *       and the same first request through a JVM HTTP client that parses the messages but stores
 *       nothing (the server's share). Rows/s of each and the medians' ratios.</li>
 *   <li><b>Commit → visible</b>: users u0..u(shapes-1), each the member of their own list; first P2
 *       ({@link FanOutBench}: one sync stream per user in a second JVM, applying to SQLite), then one live
 *       long-polling shape of {@code todos} per user in node, each with the same writer (one todo per
 *       transaction into a random user's list at {@code txPerSecond}, stamped with
 *       {@code clock_timestamp()}); latency is the client's clock when the row is visible minus the
 *       stamp. The server's heap after GC with every shape parked is recorded as P2 records it.</li>
 * </ol>
 * Usage: {@code bench/run shapes [rows=100000] [shapes=1000] [txPerSecond=100] [seconds=20] [rounds=3]};
 * needs {@code npm ci} in clients/interop-electric.
 */
public final class ShapeBench {
    static final Path SCRIPT = Path.of("bench", "electric", "shapes-bench.mjs");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShapeBench() {}

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int shapes = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int txPerSecond = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        if (!Files.isDirectory(Path.of("clients", "interop-electric", "node_modules", "@electric-sql", "client"))) {
            throw new IllegalStateException("run `npm ci` in clients/interop-electric first (the stock @electric-sql/client)");
        }
        Path dir = Files.createTempDirectory("syncline-shapes");
        StringBuilder out = new StringBuilder();
        try (PostgresTestServer server = FanOutBench.startPostgres();
             RunningApp running = RunningApp.start(server, dir, FanOutBench.connectionLimit(shapes))) {
            running.awaitReady();
            out.append(initialSync(running, dir, rows, rounds));
            FanOutBench.addUsers(running, shapes);
            System.out.println("P2 with " + shapes + " sync streams …");
            FanOutBench.Run p2 = FanOutBench.run(running, dir, shapes, shapes, txPerSecond, seconds);
            System.out.println("P11 with " + shapes + " long-polling shapes …");
            LiveShapes p11 = liveShapes(running, dir, shapes, txPerSecond, seconds);
            out.append("\n### Commit → visible, same server, one after the other\n\n| client | ")
                    .append(FanOutBench.HEADER.substring(2).replaceFirst("\\|---", "|---|---"))
                    .append("| PowerSync protocol (P2), JVM client, SQLite ").append(p2.row())
                    .append("| Electric Shape API (P11), @electric-sql/client long-poll ").append(p11.row)
                    .append('\n').append("P2: ").append(p2.note().strip()).append('\n')
                    .append("P11: ").append(p11.note).append('\n');
            System.out.print(out);
            ResultFile.write("shapes-" + rows + "-" + shapes, out.toString());
        }
    }

    /** P3 and the first shape sync, alternating, on the same rows. */
    private static String initialSync(RunningApp running, Path dir, int rows, int rounds) throws Exception {
        running.db.execute("INSERT INTO todos SELECT 'b' || g, 'l1', 'todo number ' || g, g % 2 = 0, g "
                + "FROM generate_series(1, " + rows + ") g");
        long syncExpected = rows + 4L; // + lists l1, l2 and the todos t1, t2 alice already had
        long shapeExpected = rows + 2L; // todos only
        HttpClient http = HttpClient.newHttpClient();
        long copyStart = System.nanoTime();
        while (InitialSyncBench.syncOnce(running, http, dir.resolve("probe-" + System.nanoTime() + ".db")).rows() < syncExpected) {
            Thread.sleep(2000);
        }
        System.out.printf("replication of %d rows took %.1f s before the syncs%n", rows, (System.nanoTime() - copyStart) / 1e9);
        StringBuilder table = new StringBuilder("### Initial sync, same server, alternating\n\n| date | load (1/5/15 min) "
                + "| round | client | rows | seconds | rows/s | first byte s |\n|---|---|---|---|---|---|---|---|\n");
        List<Double> p3 = new ArrayList<>();
        List<Double> shape = new ArrayList<>();
        List<Double> jvmShape = new ArrayList<>();
        List<Double> canned = new ArrayList<>();
        Path recorded = recordShape(running, http, dir.resolve("shape-response.json"));
        for (int round = 1; round <= rounds; round++) {
            for (int turn = 0; turn < 4; turn++) {
                String load = Load.average();
                int who = (round - 1 + turn) % 4; // rotate which client goes first
                if (who == 3) {
                    JsonNode synced = initialShape(running, shapeExpected, recorded);
                    double s = synced.path("elapsedMs").asDouble() / 1000;
                    long n = synced.path("rows").asLong();
                    canned.add(n / s);
                    table.append(String.format("| %s | %s | %d | P11 baseline: @electric-sql/client, canned response → Shape "
                            + "| %d | %.2f | %.0f | %.2f |%n", LocalDate.now(), load, round, n, s, n / s,
                            synced.path("firstByteMs").asDouble() / 1000));
                } else if (who == 2) {
                    long start = System.nanoTime();
                    long[] firstByte = new long[1];
                    long n = jvmInitialShape(running, http, firstByte);
                    double s = (System.nanoTime() - start) / 1e9;
                    if (n != shapeExpected) {
                        throw new IllegalStateException("the JVM shape read " + n + " rows, expected " + shapeExpected);
                    }
                    jvmShape.add(n / s);
                    table.append(String.format("| %s | %s | %d | P11: JVM HTTP client, /v1/shape, parsed, not stored | %d "
                            + "| %.2f | %.0f | %.2f |%n", LocalDate.now(), load, round, n, s, n / s, (firstByte[0] - start) / 1e9));
                } else if (who == 0) {
                    InitialSyncBench.Result r = InitialSyncBench.syncOnce(running, http, dir.resolve("client-" + round + ".db"));
                    if (r.rows() != syncExpected || r.checksumFailures() != 0) {
                        throw new IllegalStateException("P3 round " + round + ": " + r);
                    }
                    p3.add(r.rows() / r.seconds());
                    table.append(String.format("| %s | %s | %d | P3: JVM client, /sync/stream → SQLite | %d | %.2f | %.0f | — |%n",
                            LocalDate.now(), load, round, r.rows(), r.seconds(), r.rows() / r.seconds()));
                } else {
                    JsonNode synced = initialShape(running, shapeExpected, null);
                    long n = synced.path("rows").asLong();
                    double s = synced.path("elapsedMs").asDouble() / 1000;
                    shape.add(n / s);
                    table.append(String.format("| %s | %s | %d | P11: @electric-sql/client, /v1/shape → Shape | %d | %.2f | %.0f "
                            + "| %.2f |%n", LocalDate.now(), load, round, n, s, n / s,
                            synced.path("firstByteMs").asDouble() / 1000));
                }
            }
        }
        double p3Median = BrowserInitialSyncBench.median(p3);
        double shapeMedian = BrowserInitialSyncBench.median(shape);
        double jvmMedian = BrowserInitialSyncBench.median(jvmShape);
        double cannedMedian = BrowserInitialSyncBench.median(canned);
        return table + String.format("%nmedians: P3 %.0f rows/s; P11 with @electric-sql/client %.0f rows/s (%.2f× P3), "
                + "the same client on a canned response %.0f rows/s (%.2f× P3: the client's own ceiling; against the server "
                + "it reaches %.2f× of it); P11 with the JVM HTTP client %.0f rows/s (%.2f× P3). "
                + "P11's target: initial shape sync rows/s ≥ P3's%n",
                p3Median, shapeMedian, shapeMedian / p3Median, cannedMedian, cannedMedian / p3Median,
                shapeMedian / cannedMedian, jvmMedian, jvmMedian / p3Median);
    }

    /**
     * The first request of a shape as any Electric client makes it ({@code offset=-1}), read with
     * java.net.http and Jackson's streaming parser: counts the insert messages and requires the
     * closing up-to-date (Syncline answers the whole snapshot in one response; a response without
     * up-to-date would need further requests, and fails here instead). Nothing is stored, so this
     * is the server's side of the initial shape sync: query, serialisation, HTTP.
     */
    private static long jvmInitialShape(RunningApp running, HttpClient http, long[] firstByteNanos) throws Exception {
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(running.endpoint() + "/v1/shape?table=todos&offset=-1"))
                .header("Authorization", "Bearer " + running.token("alice")).GET().build();
        java.net.http.HttpResponse<java.io.InputStream> response = http.send(request,
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        firstByteNanos[0] = System.nanoTime();
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /v1/shape answered " + response.statusCode() + ": "
                    + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        long inserts = 0;
        boolean upToDate = false;
        try (java.io.InputStream body = response.body();
             com.fasterxml.jackson.core.JsonParser p = JSON.getFactory().createParser(body)) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                throw new IllegalStateException("a shape response is a JSON array");
            }
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                JsonNode message = JSON.readTree(p);
                JsonNode headers = message.path("headers");
                if ("insert".equals(headers.path("operation").asText())) {
                    inserts++;
                } else if ("up-to-date".equals(headers.path("control").asText())) {
                    upToDate = true;
                }
            }
        }
        if (!upToDate) {
            throw new IllegalStateException("the initial shape response ended without up-to-date after " + inserts + " rows");
        }
        return inserts;
    }

    /**
     * The server's whole answer to alice's first shape request (its electric-* headers and body), for
     * the stock client's canned baseline.
     */
    private static Path recordShape(RunningApp running, HttpClient http, Path file) throws Exception {
        java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(running.endpoint() + "/v1/shape?table=todos&offset=-1"))
                .header("Authorization", "Bearer " + running.token("alice")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("recording the shape: " + r.statusCode() + " " + r.body());
        }
        var json = JSON.createObjectNode();
        var headers = json.putObject("headers");
        r.headers().map().forEach((name, values) -> {
            if (name.startsWith("electric-")) {
                headers.put(name, values.getFirst());
            }
        });
        json.put("body", r.body());
        JSON.writeValue(file.toFile(), json);
        return file;
    }

    /** One first shape sync of alice's todos by the stock client (from {@code canned} if not null); its "synced" event. */
    private static JsonNode initialShape(RunningApp running, long expected, Path canned) throws Exception {
        Path log = Files.createTempFile("shape-initial", ".log");
        List<String> command = new ArrayList<>(List.of("node", SCRIPT.toString(), "initial", "--url",
                running.endpoint() + "/v1/shape", "--token", running.token("alice"), "--table", "todos",
                "--expected", Long.toString(expected)));
        if (canned != null) {
            command.addAll(List.of("--canned", canned.toString()));
        }
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        String synced = null;
        StringBuilder all = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                all.append(line).append('\n');
                if (line.contains("\"event\":\"synced\"")) {
                    synced = line;
                }
            }
        }
        if (!p.waitFor(900, TimeUnit.SECONDS) || p.exitValue() != 0 || synced == null) {
            throw new IllegalStateException("initial shape sync failed: " + all + Files.readString(log));
        }
        JsonNode event = JSON.readTree(synced);
        if (event.path("rows").asLong() != expected) {
            throw new IllegalStateException("the shape holds " + event.path("rows") + " rows, expected " + expected);
        }
        return event;
    }

    record LiveShapes(String row, String note) {}

    /** One long-polling shape per user in node; the same writer as P2 (ids s0, s1, …). */
    private static LiveShapes liveShapes(RunningApp running, Path dir, int shapes, int txPerSecond, int seconds)
            throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        Path tokens = dir.resolve("shape-tokens.txt");
        List<String> lines = new ArrayList<>(shapes);
        for (int i = 0; i < shapes; i++) {
            lines.add(running.token("u" + i));
        }
        Files.write(tokens, lines);
        // P2's streams end when their client process dies, but the server notices a dead socket only
        // at its next write: wait until none is left, so their teardown is not billed to the shapes.
        awaitMetric(running, "syncline_sync_connections", 0, 120);
        System.gc();
        Thread.sleep(500);
        long heapBefore = memory.getHeapMemoryUsage().getUsed();
        double idleCpuBefore = idleCpuShare();
        Process client = new ProcessBuilder("node", SCRIPT.toString(), "live", "--url", running.endpoint() + "/v1/shape",
                "--tokens", tokens.toString(), "--table", "todos", "--prefix", "s")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader fromClient = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter toClient = new PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8);
        try {
            long connectStart = System.nanoTime();
            String syncedLine = awaitLine(fromClient, "SYNCED", 900);
            double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
            System.out.printf("%s after %.1f s%n", syncedLine, connectSeconds);
            awaitMetric(running, "syncline_shape_requests_parked", shapes, 60); // every shape's next request parks
            Thread.sleep(5000); // the compiler and collector finish with the connect burst
            System.gc();
            Thread.sleep(500);
            long liveHeapParked = memory.getHeapMemoryUsage().getUsed();
            long rssParked = Load.rssBytes();
            double wakesBefore = metric(running, "syncline_shape_wakeups_total");
            double requestsBefore = metric(running, "syncline_shape_requests_total");
            double idleCpuParked = idleCpuShare();
            double idleWakes = metric(running, "syncline_shape_wakeups_total") - wakesBefore;
            double idleRequests = metric(running, "syncline_shape_requests_total") - requestsBefore;
            String load = Load.average();
            long written = FanOutBench.write(running, "s", shapes, txPerSecond, seconds);
            Thread.sleep(3000); // rows of the last checkpoints arrive
            toClient.println("STOP");
            String result = awaitLine(fromClient, "RESULT", 120);
            String row = String.format("| %s | %s | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | — | %d MiB | — | %d MiB | — |%n",
                    LocalDate.now(), load, shapes, shapes, txPerSecond, seconds, written, field(result, "received"),
                    ms(field(result, "p50")), ms(field(result, "p90")), ms(field(result, "p95")), ms(field(result, "p99")),
                    ms(field(result, "max")),
                    field(result, "failed"), liveHeapParked >> 20, rssParked >> 20);
            String note = String.format("shapes up to date in %.1f s (%s); heap after GC and RSS taken with every shape parked; "
                    + "heap after GC %d MiB before the shapes connected, so %+d MiB for %d parked shapes (their requests and "
                    + "shape logs); server CPU with no writes: %.1f %% of one core with every shape parked, %.1f %% before "
                    + "the shapes connected (%d s each); in that time parked requests were woken %.0f times and %.0f "
                    + "requests came in (long-polls renewed at their 15–20 s timeout)",
                    connectSeconds, syncedLine, heapBefore >> 20,
                    (liveHeapParked - heapBefore) >> 20, shapes, 100 * idleCpuParked, 100 * idleCpuBefore,
                    IDLE_SECONDS, idleWakes, idleRequests);
            return new LiveShapes(row, note);
        } finally {
            client.waitFor(30, TimeUnit.SECONDS);
            client.destroy();
        }
    }

    /**
     * This JVM's CPU over {@value #IDLE_SECONDS} s with no writes, as a share of one core: parked shapes should cost memory,
     * not CPU (the source's heartbeat still makes a checkpoint a second, which changes no shape's rows).
     */
    private static double idleCpuShare() throws InterruptedException {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Thread.sleep(IDLE_SECONDS * 1000L);
        return (os.getProcessCpuTime() - cpu0) / (double) (System.nanoTime() - t0);
    }

    private static final int IDLE_SECONDS = 10;

    /** A sample of the server's {@code /metrics} (0 when absent). */
    private static double metric(RunningApp running, String name) throws Exception {
        String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(running.endpoint() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return 0;
    }

    private static void awaitMetric(RunningApp running, String name, double value, int timeoutSeconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        double now = metric(running, name);
        while (now != value) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException(name + " stayed at " + now + ", expected " + value);
            }
            Thread.sleep(200);
            now = metric(running, name);
        }
    }

    private static String awaitLine(BufferedReader in, String prefix, int timeoutSeconds) throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l = in.readLine(); l != null; l = in.readLine()) {
                    if (l.startsWith(prefix)) {
                        return l;
                    }
                }
                throw new IllegalStateException("the client ended before printing " + prefix);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return line.get(timeoutSeconds, TimeUnit.SECONDS);
    }

    private static String field(String line, String name) {
        for (String part : line.split(" ")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return "?";
    }

    private static String ms(String micros) {
        try {
            return String.format("%.1f", Double.parseDouble(micros) / 1000.0);
        } catch (NumberFormatException e) {
            return micros;
        }
    }
}
