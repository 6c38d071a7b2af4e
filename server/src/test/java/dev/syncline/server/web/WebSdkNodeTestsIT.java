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
    @Test
    void theWebSdkUnitTestsPass() throws Exception {
        Optional<Path> node = BrowserFixture.findNode();
        Optional<Path> root = BrowserDriver.findRepoRoot();
        boolean ready = node.isPresent() && root.isPresent()
                && Files.isDirectory(root.get().resolve(BrowserDriver.CLIENT_DIR).resolve("node_modules/esbuild"));
        if (!ready && "true".equals(System.getenv("CI"))) {
            fail("node and clients/web/node_modules (npm ci) are required in CI");
        }
        assumeTrue(ready, "node or clients/web/node_modules missing (cd clients/web && npm ci)");
        Path dir = root.get().resolve(BrowserDriver.CLIENT_DIR);
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
}
