package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code clients/interop-node/sync-once.mjs} (the stock {@code @powersync/node} client) as a
 * subprocess and hands its JSON event lines to the test; stderr is kept for failure messages.
 */
final class NodeSyncClient implements AutoCloseable {
    static final String SCRIPT = "clients/interop-node/sync-once.mjs";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final StringBuffer stderr = new StringBuffer();

    private NodeSyncClient(Process process) {
        this.process = process;
        Thread.ofVirtual().name("node-stdout").start(() -> pump(process.inputReader(StandardCharsets.UTF_8), true));
        Thread.ofVirtual().name("node-stderr").start(() -> pump(process.errorReader(StandardCharsets.UTF_8), false));
    }

    /** The {@code node} executable on PATH, if any. */
    static Optional<Path> findNode() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "node");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Where {@code node} and the repository are, for a test that needs both. */
    record Installed(Path node, Path repoRoot) {}

    /**
     * Finds {@code node} and the repository root and checks that the given paths (relative to the
     * root, e.g. an installed {@code node_modules} package) exist. When something is missing the
     * test is skipped with the reason, except under {@code CI=true}, where {@code .ci/run} installs
     * the clients before Maven and a missing one is a failure.
     */
    static Installed require(String... requiredPaths) {
        Optional<Path> node = findNode();
        Optional<Path> root = findRepoRoot();
        String missing = node.isEmpty() ? "no `node` on PATH"
                : root.isEmpty() ? SCRIPT + " not found above " + Path.of("").toAbsolutePath() : null;
        for (int i = 0; missing == null && i < requiredPaths.length; i++) {
            Path required = requiredPaths[i].startsWith("/") ? Path.of(requiredPaths[i]) : root.get().resolve(requiredPaths[i]);
            if (!Files.exists(required)) {
                missing = required + " is missing (run `npm ci` and `npm run build` in that clients/ package)";
            }
        }
        if (missing != null && "true".equals(System.getenv("CI"))) {
            org.junit.jupiter.api.Assertions.fail(missing + " — CI must provide it (.ci/run installs the clients before Maven)");
        }
        String reason = missing;
        org.junit.jupiter.api.Assumptions.assumeTrue(reason == null, () -> "skipping the client interop test: " + reason);
        return new Installed(node.get(), root.get());
    }

    /** The repository root: the nearest ancestor of the working directory holding the script. */
    static Optional<Path> findRepoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(SCRIPT))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Starts {@link #SCRIPT}; {@code extraArgs} are further options of the script (see its header),
     * e.g. {@code --transport websocket}, a second {@code --token}, {@code --write SQL}.
     */
    static NodeSyncClient start(Path node, Path repoRoot, String endpoint, String token, String schemaJson,
                                String waitFor, Duration timeout, String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--endpoint", endpoint, "--token", token,
                "--schema", schemaJson, "--timeout-ms", Long.toString(timeout.toMillis())));
        if (waitFor != null) {
            args.addAll(List.of("--wait-for", waitFor));
        }
        args.addAll(List.of(extraArgs));
        return startScript(node, repoRoot, SCRIPT, args);
    }

    /** Runs any node script of the repository that prints JSON event lines on stdout. */
    static NodeSyncClient startScript(Path node, Path repoRoot, String script, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(node.toString(), script));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(repoRoot.toFile());
        pb.environment().putIfAbsent("SYNCLINE_INTEROP_LOG", "info");
        return new NodeSyncClient(pb.start());
    }

    private void pump(BufferedReader reader, boolean isStdout) {
        try (reader) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (isStdout) {
                    try {
                        events.add(JSON.readTree(line));
                    } catch (IOException notJson) {
                        stderr.append("[stdout, not JSON] ").append(line).append('\n');
                    }
                } else {
                    stderr.append(line).append('\n');
                    System.err.println("[node] " + line);
                }
            }
        } catch (IOException e) {
            // process gone
        }
    }

    /** The next event line, failing with the client's stderr if it does not come in time. */
    JsonNode nextEvent(String expectedEvent, Duration timeout) throws InterruptedException {
        JsonNode event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (event == null) {
            String exit = process.isAlive() ? "still running" : "exited with " + process.exitValue();
            throw new AssertionError("no '" + expectedEvent + "' event from the node client within " + timeout
                    + " (" + exit + "); its stderr:\n" + stderr);
        }
        if (!expectedEvent.equals(event.path("event").asText())) {
            throw new AssertionError("expected event '" + expectedEvent + "' but got " + event + "; stderr:\n" + stderr);
        }
        return event;
    }

    /** Writes one line to the script's stdin (a command for scripts that read them, e.g. streams.mjs). */
    void send(String line) throws IOException {
        var in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("node client did not exit within " + timeout + "; stderr:\n" + stderr);
        }
        return process.exitValue();
    }

    String stderr() {
        return stderr.toString();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
