package dev.syncline.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Drives Debian's Chromium through a playwright-core driver script — {@code clients/web/test-pages/drive.mjs}
 * for the SDK's pages, {@code demo/test/drive-demo.mjs} for the demo app: one JSON command per line on
 * its stdin, one JSON answer per line on its stdout. The browser's console and the
 * script's errors are kept for failure messages.
 */
final class BrowserDriver implements AutoCloseable {
    static final String CLIENT_DIR = "clients/web";
    static final String SCRIPT = CLIENT_DIR + "/test-pages/drive.mjs";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<JsonNode> answers = new LinkedBlockingQueue<>();
    private final StringBuffer log = new StringBuffer();
    private int nextId = 1;

    private BrowserDriver(Process process) {
        this.process = process;
        this.stdin = process.outputWriter(StandardCharsets.UTF_8);
        Thread.ofVirtual().name("browser-stdout").start(() -> pump(process.inputReader(StandardCharsets.UTF_8), true));
        Thread.ofVirtual().name("browser-stderr").start(() -> pump(process.errorReader(StandardCharsets.UTF_8), false));
    }

    /** The repository root: the nearest ancestor of the working directory holding the driver script. */
    static Optional<Path> findRepoRoot() {
        return findRepoRoot(SCRIPT);
    }

    /** The nearest ancestor of the working directory holding {@code script} (a path from the repository root). */
    static Optional<Path> findRepoRoot(String script) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(script))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Whether the SDK is built and playwright-core installed under clients/web. */
    static boolean installed(Path repoRoot) {
        Path dir = repoRoot.resolve(CLIENT_DIR);
        return Files.isRegularFile(dir.resolve("dist/index.js")) && Files.isRegularFile(dir.resolve("dist/worker.js"))
                && Files.isDirectory(dir.resolve("node_modules/playwright-core"));
    }

    static BrowserDriver start(Path node, Path repoRoot) throws IOException {
        return start(node, repoRoot, SCRIPT);
    }

    /** Starts {@code script} (a path from the repository root) speaking the same line protocol. */
    static BrowserDriver start(Path node, Path repoRoot, String script) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(node.toString(), script).directory(repoRoot.toFile());
        return new BrowserDriver(pb.start());
    }

    private void pump(BufferedReader reader, boolean isStdout) {
        try (reader) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (isStdout) {
                    try {
                        answers.add(JSON.readTree(line));
                    } catch (IOException notJson) {
                        log.append("[stdout, not JSON] ").append(line).append('\n');
                    }
                } else {
                    log.append(line).append('\n');
                }
            }
        } catch (IOException e) {
            // process gone
        }
    }

    /** Sends one command and returns its value, failing with the browser log if it fails or times out. */
    synchronized JsonNode call(String cmd, Duration timeout, Object... fields) throws IOException, InterruptedException {
        ObjectNode c = JSON.createObjectNode();
        int id = nextId++;
        c.put("id", id).put("cmd", cmd);
        for (int i = 0; i < fields.length; i += 2) {
            c.set((String) fields[i], JSON.valueToTree(fields[i + 1]));
        }
        stdin.write(JSON.writeValueAsString(c) + "\n");
        stdin.flush();
        JsonNode answer = answers.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (answer == null) {
            throw new AssertionError("no answer to " + c + " within " + timeout + "; browser log:\n" + log);
        }
        if (answer.path("id").asInt() != id || !answer.path("ok").asBoolean()) {
            throw new AssertionError("command " + c + " failed: " + answer.path("error").asText(answer.toString())
                    + "\nbrowser log:\n" + log);
        }
        return answer.path("value");
    }

    void context(String ctx) throws IOException, InterruptedException {
        call("context", Duration.ofSeconds(30), "ctx", ctx);
    }

    /** A context with an on-disk profile (its own Chromium, user data in a temp dir the driver removes). */
    void persistentContext(String ctx) throws IOException, InterruptedException {
        call("context", Duration.ofSeconds(60), "ctx", ctx, "persistent", true);
    }

    void page(String ctx, String page, String url) throws IOException, InterruptedException {
        call("page", Duration.ofSeconds(60), "ctx", ctx, "page", page, "url", url);
    }

    JsonNode eval(String page, String expr) throws IOException, InterruptedException {
        return call("eval", Duration.ofSeconds(60), "page", page, "expr", expr);
    }

    /** Waits (in the page) until the expression is truthy and returns its value. */
    JsonNode waitFor(String page, String expr, Duration timeout) throws IOException, InterruptedException {
        return call("wait", timeout.plusSeconds(5), "page", page, "expr", expr, "timeoutMs", timeout.toMillis());
    }

    void reload(String page, boolean waitReady) throws IOException, InterruptedException {
        call("reload", Duration.ofSeconds(60), "page", page, "waitReady", waitReady);
    }

    void close(String page) throws IOException, InterruptedException {
        call("close", Duration.ofSeconds(30), "page", page);
    }

    String log() {
        return log.toString();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
