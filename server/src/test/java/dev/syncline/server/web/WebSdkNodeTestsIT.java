package dev.syncline.server.web;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the web SDK's own unit tests ({@code cd clients/web && npm test}: the state machine, storage on
 * SQLite WASM and the golden sequences) so {@code mvn verify} — and so CI — fails when they do.
 */
class WebSdkNodeTestsIT {
    /** clients/web, when node and its node_modules are there (required in CI). */
    private static Path clientDir(String needs) {
        Optional<Path> node = BrowserFixture.findNode();
        Optional<Path> root = BrowserDriver.findRepoRoot();
        boolean ready = node.isPresent() && root.isPresent()
                && Files.exists(root.get().resolve(BrowserDriver.CLIENT_DIR).resolve(needs));
        if (!ready && "true".equals(System.getenv("CI"))) {
            fail("node and clients/web/" + needs + " are required in CI (cd clients/web && npm ci && npm run build)");
        }
        assumeTrue(ready, "node or clients/web/" + needs + " missing (cd clients/web && npm ci && npm run build)");
        return root.get().resolve(BrowserDriver.CLIENT_DIR);
    }

    @Test
    void theWebSdkUnitTestsPass() throws Exception {
        Path dir = clientDir("node_modules/esbuild");
        Optional<Path> node = BrowserFixture.findNode();
        Finished build = run(dir, Duration.ofSeconds(120), node.get().toString(), "build.mjs", "--tests");
        assertThat(build.exit()).as("test build output:\n" + build.output()).isZero();

        // A test that hangs fails by its own name after 2 minutes (node's --test-timeout) rather
        // than holding the build until the whole run's bound.
        Finished tests = run(dir, Duration.ofSeconds(300), node.get().toString(), "--test", "--test-timeout=120000",
                "dist-test/");
        assertThat(tests.exit()).as("node --test output:\n" + tests.output()).isZero();
        assertThat(tests.output()).contains("# fail 0").containsPattern("# pass [1-9]");
    }

    /**
     * The staged first download survives a tab killed mid-download (clients/web/test-pages/crash-resume.mjs):
     * a reload shows nothing of the unfinished checkpoint, the next connection resumes after the
     * staged lines without a checksum mismatch, and a completed checkpoint is readable offline after
     * another kill. The script serves a stream that stalls on purpose, which the real server cannot be
     * made to do; sync against the real server is covered by {@link WebSdkBrowserIT}.
     */
    @Test
    void aTabKilledMidDownloadLosesNothingAndResumes() throws Exception {
        Path dir = clientDir("dist/worker.js");
        Optional<Path> node = BrowserFixture.findNode();
        Finished crashResume = run(dir, Duration.ofSeconds(300), node.get().toString(), "test-pages/crash-resume.mjs");
        assertThat(crashResume.exit()).as("crash-resume output:\n" + crashResume.output()).isZero();
    }

    /** A finished process: its exit code and everything it printed (stdout and stderr). */
    record Finished(int exit, String output) {}

    /**
     * Runs {@code command} in {@code dir} with its output going to a file, so the time bound holds
     * even when the process hangs without closing its output (reading the output to its end first,
     * as this class did, waited for ever on a hung {@code node --test}). A process past its bound is
     * killed with its children and fails the test with what it printed so far.
     */
    static Finished run(Path dir, Duration bound, String... command) throws Exception {
        Path log = Files.createTempFile("web-sdk-node-", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                fail(String.join(" ", command) + " did not finish within " + bound.toSeconds() + " s; its output:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Finished(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
