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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * BENCHMARKS.md P4: first sync of N ~100-byte rows into the browser, our web SDK (opfs-sahpool)
 * against the stock {@code @powersync/web} 2.4 (OPFSCoopSyncVFS), same server, same run. The whole
 * server runs on embedded PostgreSQL ({@link RunningApp}); after replication has stored every row
 * (checked with a JVM first sync), each round runs both SDKs, alternating which goes first, each in
 * a fresh Chromium context driven by {@code clients/web/bench/p4-first-sync.mjs}. Time is measured
 * in the page: connect() → first complete checkpoint applied (ours: status.lastSyncedAt; PowerSync:
 * waitForFirstSync()) → count(*) of todos = rows. Usage: {@code bench/run browser-sync [rows=100000] [rounds=3]};
 * needs node, /usr/bin/chromium and both clients built ({@code npm ci && npm run build} in
 * clients/web and clients/interop-web).
 */
public final class BrowserInitialSyncBench {
    private static final Path WEB = Path.of("clients", "web");
    private static final Path DRIVER = WEB.resolve("bench").resolve("p4-first-sync.mjs");
    private static final List<String> SDKS = List.of("syncline", "powersync");
    private static final long TIMEOUT_MS = 600_000;

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

            StringBuilder table = new StringBuilder("| date | load (1/5/15 min) | round | SDK | storage | todos "
                    + "| connect → checkpoint applied (s) | → count = rows (s) | rows/s |\n|---|---|---|---|---|---|---|---|---|\n");
            List<List<Double>> seconds = List.of(new ArrayList<>(), new ArrayList<>());
            StringBuilder profile = new StringBuilder();
            for (int round = 1; round <= rounds; round++) {
                for (int k = 0; k < SDKS.size(); k++) {
                    int which = (k + round - 1) % SDKS.size(); // alternate which SDK goes first
                    String load = Load.average();
                    JsonNode r = firstSync(SDKS.get(which), running.endpoint(), running.token("alice"), expectedTodos, List.of());
                    double total = r.path("totalMs").asDouble() / 1000;
                    seconds.get(which).add(total);
                    String line = String.format("| %s | %s | %d | %s | %s | %d | %.2f | %.2f | %.0f |%n", LocalDate.now(), load,
                            round, SDKS.get(which), r.path("storage").asText(), r.path("count").asLong(),
                            r.path("checkpointMs").asDouble() / 1000, total, r.path("count").asLong() / total);
                    System.out.print(line);
                    table.append(line);
                    JsonNode phases = r.path("phases");
                    if (phases.isObject()) {
                        profile.append(String.format("- round %d, syncline: first data line stored after %.2f s, last status with ops "
                                + "still missing (%d ops stored) at %.2f s, checkpoint applied at %.2f s%n", round,
                                phases.path("firstDataMs").asDouble() / 1000, phases.path("lastReceived").asLong(),
                                phases.path("lastDataMs").asDouble() / 1000, r.path("checkpointMs").asDouble() / 1000));
                    }
                }
            }
            // Profile probe: the same stream downloaded and JSON.parse'd in the page, stored nowhere.
            JsonNode probe = firstSync("syncline", running.endpoint(), running.token("alice"), expectedTodos,
                    List.of("--probe", "download"));
            profile.append(String.format("- download + JSON.parse only (same stream, in the page, nothing stored): %.2f s for "
                    + "%d ops, %.2f s of it in JSON.parse%n", probe.path("ms").asDouble() / 1000, probe.path("ops").asLong(),
                    probe.path("parseMs").asDouble() / 1000));
            double ours = median(seconds.get(0));
            double theirs = median(seconds.get(1));
            table.append(String.format("%nmedian over %d rounds: syncline %.2f s (%.0f rows/s), @powersync/web %.2f s "
                    + "(%.0f rows/s); @powersync/web time / syncline time = %.2f%n", rounds, ours, expectedTodos / ours,
                    theirs, expectedTodos / theirs, theirs / ours));
            table.append("\nprofile of our SDK (status events from the worker, coalesced):\n").append(profile);
            System.out.print(table);
            Path out = Path.of("bench", "results", "browser-sync-" + LocalDate.now() + ".md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, table);
        }
    }

    private static void requireBuilt() {
        List<String> missing = new ArrayList<>();
        for (Path p : List.of(WEB.resolve("dist/index.js"), WEB.resolve("node_modules/playwright-core"),
                Path.of("clients/interop-web/dist/p4-page.js"), Path.of("/usr/bin/chromium"))) {
            if (!Files.exists(p)) {
                missing.add(p.toString());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing " + missing + ": run `npm ci && npm run build` in clients/web and in "
                    + "clients/interop-web (and install chromium) before bench/run browser-sync");
        }
    }

    /** One first sync in a fresh browser context; the driver prints one JSON line or fails. */
    private static JsonNode firstSync(String sdk, String endpoint, String token, long expected, List<String> extra)
            throws Exception {
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

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
