package dev.syncline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The stream that costs nothing ({@code clients/web/bench/canned-stream.mjs}): one synthetic first
 * checkpoint of N todos served from memory by node. Every peer comparison runs the peer (and our
 * client) against it in the same session as against the real server (BENCHMARKS.md, "Baselines must
 * not flatter us"; {@link Baseline}). Its todos are all the client receives: N rows, no lists.
 */
final class CannedStream implements AutoCloseable {
    static final Path SCRIPT = Path.of("clients", "web", "bench", "canned-stream.mjs");

    private final Process process;
    final String endpoint;
    final long rows;

    private CannedStream(Process process, String endpoint, long rows) {
        this.process = process;
        this.endpoint = endpoint;
        this.rows = rows;
    }

    /**
     * Starts the stream with {@code rows} todos; {@code descriptionChars} 80 is P4's row shape, 0
     * P3's short descriptions. Blocks until the body is built (a few seconds per million rows).
     */
    static CannedStream start(long rows, int descriptionChars) throws IOException {
        if (!Files.exists(SCRIPT)) {
            throw new IOException(SCRIPT + " is missing");
        }
        Process p = new ProcessBuilder("node", SCRIPT.toString(), Long.toString(rows), "0", Integer.toString(descriptionChars))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (first == null) {
            p.destroyForcibly();
            throw new IOException("canned-stream.mjs exited before printing its endpoint (exit " + p.exitValue() + ")");
        }
        return new CannedStream(p, new ObjectMapper().readTree(first).path("endpoint").asText(), rows);
    }

    @Override
    public void close() {
        process.destroy();
    }
}
