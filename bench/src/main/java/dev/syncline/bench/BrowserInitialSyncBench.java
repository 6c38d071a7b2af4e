package dev.syncline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * BENCHMARKS.md P4: first sync of N ~100-byte rows into the browser, our web SDK (opfs-sahpool)
 * against the stock {@code @powersync/web} 2.4 (SDK defaults + OPFSCoopSyncVFS), same server, same
 * run. The whole server runs on embedded PostgreSQL ({@link RunningApp}); after replication has
 * stored every row (checked with a JVM first sync), each round runs both SDKs (alternating which goes
 * first), each once against the server and once against the canned stream ({@link CannedStream}:
 * the server's own response to the same request, recorded before the rounds, costs nothing), each
 * in a fresh Chromium with a fresh on-disk profile driven by {@code clients/web/bench/p4-first-sync.mjs}. Time is measured in the page: connect() → first
 * complete checkpoint applied (ours: status.lastSyncedAt; PowerSync: waitForFirstSync()) → count(*)
 * of todos = rows. {@code @powersync/web}'s median is checked against its canned median and its
 * reference ({@link Baseline}); a failed check prints BROKEN BASELINE and the ratio is not a result.
 * Usage: {@code bench/run browser-sync [rows=100000] [rounds=3]}; needs node, /usr/bin/chromium and
 * both clients built ({@code npm ci && npm run build} in clients/web and clients/interop-web).
 */
public final class BrowserInitialSyncBench {
    private static final Path WEB = Path.of("clients", "web");
    private static final Path DRIVER = WEB.resolve("bench").resolve("p4-first-sync.mjs");
    /**
     * BENCH_SDKS=syncline profiles our SDK alone (no ratio, no @powersync/web build needed);
     * syncline-before adds another build of our SDK, copied to clients/web/dist-before (A/B of a change).
     */
    private static final List<String> SDKS = List.of(System.getenv().getOrDefault("BENCH_SDKS", "syncline,powersync").split(","));
    private static final long TIMEOUT_MS = 600_000;

    /** One SDK against one stream: the endpoint and how many todos the page must end with. */
    private record Target(String stream, String endpoint, long todos) {}

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        requireBuilt();
        Path dir = Files.createTempDirectory("syncline-browser-sync");
        try (PostgresTestServer server = PostgresTestServer.start();
             RunningApp running = RunningApp.start(server, dir)) {
            running.awaitReady();
            long copyStart = System.nanoTime();
            // ~100 bytes a row: id, list id, an 80-character description, a boolean and an int8.
            running.db.execute("INSERT INTO todos SELECT 'b' || g, 'l1', rpad('todo number ' || g, 80, '.'), g % 2 = 0, g "
                    + "FROM generate_series(1, " + rows + ") g");
            long expectedTodos = rows + 2L; // + alice's sample todos t1 and t2
            HttpClient http = HttpClient.newHttpClient();
            while (InitialSyncBench.syncOnce(running, http, dir.resolve("probe-" + System.nanoTime() + ".db")).rows()
                    < expectedTodos + 2) { // + lists l1 and l2
                Thread.sleep(2000);
            }
            System.out.printf("replication of %d rows took %.1f s before the browser syncs%n", rows,
                    (System.nanoTime() - copyStart) / 1e9);
            // The canned stream: the server's own response to this first sync, recorded now, served from memory.
            CannedStream canned = CannedStream.record(running.endpoint(), running.token("alice"), CannedStream.VARIANTS);
            try {
                run(running, canned, rows, rounds, expectedTodos);
            } finally {
                canned.close();
            }
        }
    }

    private static void run(RunningApp running, CannedStream canned, int rows, int rounds, long expectedTodos) throws Exception {
        {
            List<Target> targets = List.of(new Target("server", running.endpoint(), expectedTodos),
                    new Target("canned", canned.endpoint, expectedTodos));

            StringBuilder table = new StringBuilder("| date | load (1/5/15 min) | round | SDK | stream | storage | OPFS after (MB) "
                    + "| todos | connect → checkpoint applied (s) | → count = rows (s) | rows/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
            Map<String, List<Double>> seconds = new LinkedHashMap<>(); // "sdk stream" → totals
            StringBuilder profile = new StringBuilder();
            for (int round = 1; round <= rounds; round++) {
                for (int k = 0; k < SDKS.size(); k++) {
                    String sdk = SDKS.get((k + round - 1) % SDKS.size()); // alternate which SDK goes first
                    // Alternate which stream goes first too: other load on the machine drifts within a run.
                    for (Target target : round % 2 == 1 ? targets : targets.reversed()) {
                        String load = Load.average();
                        JsonNode r = firstSync(sdk, target.endpoint, running.token("alice"), target.todos, List.of());
                        double total = r.path("totalMs").asDouble() / 1000;
                        seconds.computeIfAbsent(sdk + " " + target.stream, x -> new ArrayList<>()).add(total);
                        String line = String.format("| %s | %s | %d | %s | %s | %s | %.1f | %d | %.2f | %.2f | %.0f |%n",
                                LocalDate.now(), load, round, sdk, target.stream, r.path("storage").asText(),
                                r.path("opfs").path("bytes").asDouble() / 1e6, r.path("count").asLong(),
                                r.path("checkpointMs").asDouble() / 1000, total, r.path("count").asLong() / total);
                        System.out.print(line);
                        table.append(line);
                        JsonNode phases = r.path("phases");
                        if (phases.isObject()) {
                            profile.append(String.format("- round %d, %s, %s: first data line stored after %.2f s, last "
                                    + "status with ops still missing (%d ops stored) at %.2f s, checkpoint applied at %.2f s%n",
                                    round, sdk, target.stream, phases.path("firstDataMs").asDouble() / 1000,
                                    phases.path("lastReceived").asLong(), phases.path("lastDataMs").asDouble() / 1000,
                                    r.path("checkpointMs").asDouble() / 1000));
                        }
                    }
                }
            }
            // Profile probe: the same stream downloaded and JSON.parse'd in the page, stored nowhere.
            for (String[] probeOf : List.of(new String[] {"server", "download"}, new String[] {"canned", "download"},
                    new String[] {"server", "download-standard"}, new String[] {"canned", "download-standard"})) {
                Target target = targets.stream().filter(t -> t.stream.equals(probeOf[0])).findFirst().orElseThrow();
                JsonNode probe = firstSync("syncline", target.endpoint, running.token("alice"), target.todos,
                        List.of("--probe", probeOf[1]));
                profile.append(String.format("- download + JSON.parse only (%s stream, %s, in the page, nothing stored): response "
                        + "headers after %.2f s, first byte after %.2f s, first data line after %.2f s, %.2f s for %d ops in %d lines"
                        + " (%.1f MB), %.2f s of it in JSON.parse%n", target.stream,
                        probeOf[1].equals("download") ? "compact rows" : "standard NDJSON",
                        probe.path("headersMs").asDouble() / 1000,
                        probe.path("firstByteMs").asDouble() / 1000, probe.path("firstDataMs").asDouble() / 1000,
                        probe.path("ms").asDouble() / 1000,
                        probe.path("ops").asLong(), probe.path("lines").asLong(), probe.path("chars").asDouble() / 1e6,
                        probe.path("parseMs").asDouble() / 1000));
            }
            // CPU profile: one more first sync of ours per stream with V8's sampling profiler on (not counted above).
            for (Target target : targets) {
                profile.append(cpuProfile(target, running.token("alice")));
            }
            if (SDKS.contains("powersync")) {
                table.append(summary(seconds, rounds, rows, expectedTodos));
            } else {
                table.append(String.format("%nsyncline only (BENCH_SDKS), medians over %d rounds: %.2f s against the server, "
                        + "%.2f s against the canned stream%n", rounds, median(seconds.get("syncline server")),
                        median(seconds.get("syncline canned"))));
                if (seconds.containsKey("syncline-before server")) {
                    table.append(String.format("syncline before (clients/web/dist-before): %.2f s against the server, %.2f s "
                            + "against the canned stream%n", median(seconds.get("syncline-before server")),
                            median(seconds.get("syncline-before canned"))));
                }
            }
            canned.requireNoFailures();
            table.append('\n').append(canned.describe());
            table.append("\nprofile of our SDK (status events from the worker, coalesced):\n").append(profile);
            System.out.print(table);
            ResultFile.write("browser-sync-" + rows, table.toString());
        }
    }

    /** Medians, the same-run ratios and the baseline verdict on @powersync/web. */
    private static String summary(Map<String, List<Double>> seconds, int rounds, int rows, long expectedTodos) {
        double oursServer = median(seconds.get("syncline server"));
        double oursCanned = median(seconds.get("syncline canned"));
        double theirsServer = median(seconds.get("powersync server"));
        double theirsCanned = median(seconds.get("powersync canned"));
        Baseline.Verdict verdict = Baseline.POWERSYNC_WEB.check(theirsServer, theirsCanned, rows);
        StringBuilder s = new StringBuilder(String.format("%nmedians over %d rounds (seconds, connect → count = rows):%n"
                + "- syncline: %.2f against the server (%.0f rows/s), %.2f against the canned stream (server / canned %.2f)%n"
                + "- @powersync/web: %.2f against the server (%.0f rows/s), %.2f against the canned stream (server / canned %.2f)%n",
                rounds, oursServer, expectedTodos / oursServer, oursCanned, oursServer / oursCanned, theirsServer,
                expectedTodos / theirsServer, theirsCanned, theirsServer / theirsCanned));
        List<Double> beforeServer = seconds.get("syncline-before server");
        if (beforeServer != null) {
            double beforeCanned = median(seconds.get("syncline-before canned"));
            s.append(String.format("- syncline before (clients/web/dist-before): %.2f against the server, %.2f against the canned "
                    + "stream; before / now = %.2f against the server, %.2f canned%n", median(beforeServer), beforeCanned,
                    median(beforeServer) / oursServer, beforeCanned / oursCanned));
        }
        s.append(verdict.text()).append('\n');
        String ratios = String.format("@powersync/web time / syncline time = %.2f against the server, %.2f against the canned "
                + "stream", theirsServer / oursServer, theirsCanned / oursCanned);
        s.append(verdict.broken() ? "(not a result, broken baseline) " + ratios : "RESULT: " + ratios).append('\n');
        return s.toString();
    }

    /** Our SDK's worker under V8's sampling profiler: CPU time per phase (clients/web/bench/cpu-profile-summary.mjs). */
    private static String cpuProfile(Target target, String token) throws Exception {
        Path trace = Files.createTempFile("p4-trace", ".json");
        try {
            JsonNode r = firstSync("syncline", target.endpoint, token, target.todos, List.of("--trace", trace.toString()));
            Process p = new ProcessBuilder("node", WEB.resolve("bench").resolve("cpu-profile-summary.mjs").toString(),
                    trace.toString(), "--json", "--top", "60").redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                return "- CPU profile (" + target.stream + "): cpu-profile-summary.mjs failed\n";
            }
            JsonNode worker = null;
            for (JsonNode thread : new ObjectMapper().readTree(json)) {
                if (thread.path("thread").asText().startsWith("DedicatedWorker") && worker == null) {
                    worker = thread; // sorted by busy time: the sync worker
                }
            }
            if (worker == null) {
                return "- CPU profile (" + target.stream + "): no worker samples in the trace\n";
            }
            Map<String, Long> incl = new LinkedHashMap<>();
            worker.path("inclusive").forEach(f -> incl.put(f.path("name").asText(), f.path("ms").asLong()));
            Map<String, Long> self = new LinkedHashMap<>();
            worker.path("self").forEach(f -> self.put(f.path("name").asText(), f.path("ms").asLong()));
            return String.format("- CPU profile of our worker (%s stream, one traced first sync of %.2f s, not counted above): "
                    + "%d ms busy, %d ms idle; apply at checkpoint_complete: one-transaction apply (applyCheckpoint) %d ms, "
                    + "sliced merge into the op store and shadow tables (mergeSlice) %d ms, publish transaction (publish) "
                    + "%d ms, of them merging segments (mergeSegment) %d ms; storing data lines (storeSteps, with the eager "
                    + "merge of compact lines) %d ms, of it merging compact segments (mergeCompactSteps) %d ms; "
                    + "reading the stream + JSON.parse (ndjsonLines) %d ms; op decoding (parseLine) %d ms; self time in "
                    + "SQLite's wasm %d ms, in sqlite-wasm's JS glue %d ms, garbage collector %d ms%n", target.stream,
                    r.path("totalMs").asDouble() / 1000, worker.path("busyMs").asLong(),
                    worker.path("totalMs").asLong() - worker.path("busyMs").asLong(),
                    incl.getOrDefault("storage/sync-store.ts:applyCheckpoint", 0L),
                    incl.getOrDefault("storage/sync-store.ts:mergeSlice", 0L),
                    incl.getOrDefault("storage/sync-store.ts:publish", 0L),
                    incl.getOrDefault("storage/sync-store.ts:mergeSegment", 0L),
                    incl.getOrDefault("storage/sync-store.ts:storeSteps", 0L),
                    incl.getOrDefault("storage/sync-store.ts:mergeCompactSteps", 0L),
                    incl.getOrDefault("sync/ndjson.ts:ndjsonLines", 0L),
                    incl.getOrDefault("protocol/lines.ts:parseLine", 0L),
                    self.getOrDefault("SQLite (wasm)", 0L), self.getOrDefault("@sqlite.org/sqlite-wasm (JS)", 0L),
                    self.getOrDefault("(garbage collector)", 0L));
        } finally {
            Files.deleteIfExists(trace);
        }
    }

    private static void requireBuilt() {
        List<String> missing = new ArrayList<>();
        for (Path p : List.of(WEB.resolve("dist/index.js"), WEB.resolve("node_modules/playwright-core"),
                SDKS.contains("powersync") ? Path.of("clients/interop-web/dist/p4-page.js") : WEB.resolve("dist/worker.js"),
                SDKS.contains("syncline-before") ? WEB.resolve("dist-before/index.js") : WEB.resolve("dist/index.js"),
                Path.of("/usr/bin/chromium"))) {
            if (!Files.exists(p)) {
                missing.add(p.toString());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing " + missing + ": run `npm ci && npm run build` in clients/web and in "
                    + "clients/interop-web (and `apt-get install chromium`) before bench/run browser-sync");
        }
    }

    /** One first sync in a fresh browser with a fresh on-disk profile; the driver prints one JSON line or fails. */
    private static JsonNode firstSync(String sdk, String endpoint, String token, long expected, List<String> extra)
            throws Exception {
        if (sdk.equals("syncline-before")) {
            extra = new ArrayList<>(extra);
            extra.addAll(List.of("--dist", "dist-before"));
            sdk = "syncline";
        }
        List<String> command = new ArrayList<>(List.of("node", DRIVER.toString(), "--sdk", sdk, "--endpoint", endpoint,
                "--token", token, "--expected", Long.toString(expected), "--timeout-ms", Long.toString(TIMEOUT_MS)));
        command.addAll(extra);
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(TIMEOUT_MS + 60_000, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException(sdk + ": the driver did not finish");
        }
        if (p.exitValue() != 0 || out.isEmpty()) {
            throw new IOException(sdk + ": the driver failed with exit code " + p.exitValue() + " (its stderr is above)");
        }
        return new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
