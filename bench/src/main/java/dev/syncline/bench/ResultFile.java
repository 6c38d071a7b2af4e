package dev.syncline.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Where a benchmark run's table goes: a new file per run, {@code bench/results/<name>-<UTC date and
 * time>.md}, so no run overwrites another (earlier, one file per day and name was rewritten by every
 * run of that day, and the tracked figures quoted in docs/benchmarks.md changed under the doc).
 * The file starts with the command ({@code BENCH_COMMAND}, set by bench/run), the time and the load.
 */
final class ResultFile {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmmss'Z'");

    private ResultFile() {}

    /** Writes {@code body} under a new dated name in bench/results and returns the path. */
    static Path write(String name, String body) throws IOException {
        return write(Path.of("bench", "results"), name, body);
    }

    /** Writes {@code body} as {@code dir/<name>-<UTC stamp>[-n].md}, never replacing an existing file. */
    static Path write(Path dir, String name, String body) throws IOException {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        Files.createDirectories(dir);
        Path out = dir.resolve(name + "-" + now.format(STAMP) + ".md");
        for (int n = 2; Files.exists(out); n++) {
            out = dir.resolve(name + "-" + now.format(STAMP) + "-" + n + ".md");
        }
        String command = System.getenv().getOrDefault("BENCH_COMMAND", "bench/run (command not recorded)");
        String header = "`" + command + "`, finished " + now.format(DateTimeFormatter.ISO_INSTANT) + ", load at the end "
                + Load.average() + " (1/5/15 min, " + Runtime.getRuntime().availableProcessors() + " cores)\n\n";
        Files.writeString(out, header + body);
        System.out.println("written to " + out);
        return out;
    }
}
