package dev.syncline.server.web;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Process p = new ProcessBuilder(node.get().toString(), "build.mjs", "--tests").directory(dir.toFile())
                .redirectErrorStream(true).start();
        String build = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("test build finished").isTrue();
        assertThat(p.exitValue()).as("test build output:\n" + build).isZero();

        Process tests = new ProcessBuilder(node.get().toString(), "--test", "dist-test/").directory(dir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(tests.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tests.waitFor(300, TimeUnit.SECONDS)).as("node --test finished").isTrue();
        assertThat(tests.exitValue()).as("node --test output:\n" + out).isZero();
        assertThat(out).contains("# fail 0").containsPattern("# pass [1-9]");
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
        Process p = new ProcessBuilder(node.get().toString(), "test-pages/crash-resume.mjs").directory(dir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("crash-resume finished").isTrue();
        assertThat(p.exitValue()).as("crash-resume output:\n" + out).isZero();
    }
}
