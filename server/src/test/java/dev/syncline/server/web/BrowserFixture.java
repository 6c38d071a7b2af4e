package dev.syncline.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.server.testing.PostgresTestServer;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a browser IT class needs once: PostgreSQL, the static server for {@code clients/web} and one
 * Chromium (through {@link BrowserDriver}); skipped where node, Chromium or the built SDK are missing,
 * failed instead in CI.
 */
final class BrowserFixture implements AutoCloseable {
    static final Duration SYNC = Duration.ofSeconds(30);

    final PostgresTestServer postgres;
    final StaticFiles files;
    final BrowserDriver browser;
    private int contexts;

    private BrowserFixture(PostgresTestServer postgres, StaticFiles files, BrowserDriver browser) {
        this.postgres = postgres;
        this.files = files;
        this.browser = browser;
    }

    static BrowserFixture start() throws Exception {
        Optional<Path> node = findNode();
        Optional<Path> root = BrowserDriver.findRepoRoot();
        boolean ready = node.isPresent() && root.isPresent() && BrowserDriver.installed(root.get())
                && Files.isExecutable(Path.of("/usr/bin/chromium"));
        if (!ready && "true".equals(System.getenv("CI"))) {
            fail("node, /usr/bin/chromium and a built clients/web (npm ci && npm run build) are required in CI");
        }
        assumeTrue(ready, "node, chromium or the built clients/web missing (cd clients/web && npm ci && npm run build)");
        PostgresTestServer postgres = PostgresTestServer.start();
        StaticFiles files = StaticFiles.serve(root.get().resolve(BrowserDriver.CLIENT_DIR));
        return new BrowserFixture(postgres, files, BrowserDriver.start(node.get(), root.get()));
    }

    static Optional<Path> findNode() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(d, "node");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** A fresh browser context (its own, empty OPFS) named after the user. */
    String newContext(String user) throws Exception {
        String ctx = user + "-" + (++contexts);
        browser.context(ctx);
        return ctx;
    }

    /** A fresh browser context with an on-disk profile (its OPFS in files), named after the user. */
    String newPersistentContext(String user) throws Exception {
        String ctx = user + "-" + (++contexts);
        browser.persistentContext(ctx);
        return ctx;
    }

    /** The test page for a user's token against a server; {@code extra} adds query parameters. */
    String pageUrl(String endpoint, String token, String user, String extra) {
        return files.url("test-pages/sdk.html?endpoint=" + enc(endpoint) + "&token=" + enc(token) + "&db=" + user + ".db" + extra);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static List<String> ids(JsonNode rows) {
        List<String> out = new ArrayList<>();
        rows.forEach(r -> out.add(r.path("id").asText()));
        return out;
    }

    @Override
    public void close() throws Exception {
        try (postgres; files) {
            browser.close();
        }
    }
}
