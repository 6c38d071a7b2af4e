package dev.syncline.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap and RSS of another JVM on this machine (a second server node), sampled from outside: RSS
 * from {@code /proc/<pid>/status} every 250 ms, heap used from {@code jstat -gc <pid> 250}
 * (survivor + eden + old), heap after a full GC with {@code jcmd <pid> GC.run} then
 * {@code GC.heap_info}. The JDK's own tools, so the server needs no metrics of its own for this.
 */
final class ExternalJvm implements AutoCloseable {
    /** The heap line of {@code GC.heap_info}: "garbage-first heap   total reserved …K, committed …K, used …K". */
    private static final Pattern USED = Pattern.compile("heap .*?used (\\d+)K");

    private final long pid;
    private final Process jstat;
    private final AtomicLong maxHeap = new AtomicLong();
    private final AtomicLong maxRss = new AtomicLong();
    private final Thread rssSampler;

    ExternalJvm(long pid) throws IOException {
        this.pid = pid;
        this.jstat = new ProcessBuilder(tool("jstat"), "-gc", Long.toString(pid), "250").redirectErrorStream(true).start();
        Thread.ofPlatform().daemon().name("jstat " + pid).start(this::readJstat);
        this.rssSampler = Thread.ofPlatform().daemon().name("rss " + pid).start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxRss.accumulateAndGet(rssBytes(), Math::max);
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private static String tool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    private void readJstat() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(jstat.getInputStream(), StandardCharsets.UTF_8))) {
            List<String> header = null;
            String line;
            while ((line = in.readLine()) != null) {
                List<String> fields = List.of(line.trim().split("\\s+"));
                if (fields.contains("EU")) {
                    header = fields;
                    continue;
                }
                if (header == null || fields.size() != header.size()) {
                    continue;
                }
                try {
                    double kib = 0;
                    for (String column : List.of("S0U", "S1U", "EU", "OU")) {
                        kib += Double.parseDouble(fields.get(header.indexOf(column)));
                    }
                    long used = (long) (kib * 1024);
                    maxHeap.accumulateAndGet(used, Math::max);
                } catch (NumberFormatException | IndexOutOfBoundsException e) {
                    // a line jstat prints between samples
                }
            }
        } catch (IOException e) {
            // jstat ended
        }
    }

    /** VmRSS of the process in bytes, or -1. */
    long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Runs a full GC in the process and returns the heap it then uses, in bytes (-1 when jcmd fails). */
    long heapAfterGc() throws IOException, InterruptedException {
        run("GC.run");
        Matcher m = USED.matcher(run("GC.heap_info"));
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }

    /** The process's heap limit ({@code MaxHeapSize} in {@code VM.flags}). */
    String heapLimit() {
        try {
            Matcher m = Pattern.compile("MaxHeapSize=(\\d+)").matcher(run("VM.flags"));
            return m.find() ? "heap limit " + (Long.parseLong(m.group(1)) >> 20) + " MiB" : "heap limit unknown";
        } catch (IOException | InterruptedException e) {
            return "heap limit unknown";
        }
    }

    private String run(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(tool("jcmd"), Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    long maxHeapBytes() {
        return maxHeap.get();
    }

    long maxRssBytes() {
        return maxRss.get();
    }

    @Override
    public void close() {
        rssSampler.interrupt();
        jstat.destroy();
    }
}
