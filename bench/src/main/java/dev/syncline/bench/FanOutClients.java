package dev.syncline.bench;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of {@link FanOutBench}, in its own JVM so that the server's heap and RSS are the
 * server's alone: one virtual thread per sync stream. The first {@code active} tokens get a
 * {@link BenchSyncClient} with its own SQLite file and record, for every row the writer made
 * (ids starting with {@code w}), commit → visible latency: the wall clock at the client's SQLite
 * commit of the checkpoint that brought the row, minus the row's {@code n} column, which the writer
 * set to {@code clock_timestamp()} in microseconds (same machine, same clock). The others are idle
 * observers that parse and check their lines but keep no database.
 *
 * <p>Talks to the bench over stdin/stdout: prints {@code SYNCED n} once every stream has applied
 * its first checkpoint, and on {@code STOP} prints one {@code RESULT …} line and exits.
 * Usage: {@code FanOutClients endpoint[,endpoint…] tokensFile active dbDir}.
 */
public final class FanOutClients {
    private static final int OPENING_AT_ONCE = 32;

    public static void main(String[] args) throws Exception {
        // Several endpoints (comma-separated, nodes sharing one storage): client i uses endpoint i mod n.
        String[] endpoints = args[0].split(",");
        List<String> tokens = Files.readAllLines(Path.of(args[1]));
        int active = Integer.parseInt(args[2]);
        Path dbDir = Path.of(args[3]);
        Files.createDirectories(dbDir);

        HttpClient[] http = new HttpClient[4];
        for (int i = 0; i < http.length; i++) {
            http[i] = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        }
        Semaphore opening = new Semaphore(OPENING_AT_ONCE);
        AtomicInteger synced = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicLong checksumFailures = new AtomicLong();
        LatencyLog latencies = new LatencyLog();
        for (int i = 0; i < tokens.size(); i++) {
            int index = i;
            Thread.ofVirtual().name("client-" + i).start(() -> {
                boolean first = true;
                try (BenchSyncClient client = new BenchSyncClient(
                        index < active ? "jdbc:sqlite:" + dbDir.resolve("c" + index + ".db") : null, index < active)) {
                    HttpResponse<InputStream> response;
                    opening.acquire();
                    try {
                        response = BenchSyncClient.open(http[index % http.length], endpoints[index % endpoints.length],
                                tokens.get(index));
                    } finally {
                        opening.release();
                    }
                    boolean[] counted = {false};
                    try (InputStream body = response.body()) {
                        client.run(body, 0, (lastOpId, rows, visibleAt) -> {
                            long nowMicros = micros(Instant.now());
                            for (String[] row : rows) {
                                if (row[0].startsWith("w")) {
                                    latencies.add(nowMicros - writerStamp(row[1]));
                                }
                            }
                            if (!counted[0]) {
                                counted[0] = true;
                                synced.incrementAndGet();
                            }
                            checksumFailures.set(Math.max(checksumFailures.get(), client.checksumFailures()));
                        });
                    }
                } catch (Exception e) {
                    failed.incrementAndGet();
                    System.err.println("client " + index + " failed: " + e);
                }
            });
        }
        // Report when every stream has applied its first checkpoint (or failed).
        Thread.ofPlatform().daemon().start(() -> {
            long lastPrint = 0;
            while (synced.get() + failed.get() < tokens.size()) {
                if (System.nanoTime() - lastPrint > 5_000_000_000L) {
                    System.err.printf("clients: %d synced, %d failed of %d%n", synced.get(), failed.get(), tokens.size());
                    lastPrint = System.nanoTime();
                }
                sleep(100);
            }
            System.out.println("SYNCED " + synced.get() + " failed=" + failed.get());
            System.out.flush();
        });
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("STOP")) {
            // wait
        }
        long[] sorted = latencies.sorted();
        System.out.printf("RESULT received=%d p50=%d p90=%d p95=%d p99=%d max=%d failed=%d checksumFailures=%d%n", sorted.length,
                percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 95), percentile(sorted, 99),
                sorted.length == 0 ? -1 : sorted[sorted.length - 1], failed.get(), checksumFailures.get());
        System.out.flush();
        System.exit(0);
    }

    /** The writer's {@code clock_timestamp()} in µs, from the row's {@code "n":…} field. */
    static long writerStamp(String dataJson) {
        int at = dataJson.indexOf("\"n\":");
        int i = at + 4;
        while (dataJson.charAt(i) == ' ' || dataJson.charAt(i) == '"') {
            i++;
        }
        int end = i;
        while (end < dataJson.length() && Character.isDigit(dataJson.charAt(end))) {
            end++;
        }
        return Long.parseLong(dataJson.substring(i, end));
    }

    static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    }

    static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return -1;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Latencies in µs, appended from many threads. */
    static final class LatencyLog {
        private long[] values = new long[4096];
        private int size;

        synchronized void add(long micros) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = micros;
        }

        synchronized long[] sorted() {
            long[] out = Arrays.copyOf(values, size);
            Arrays.sort(out);
            return out;
        }
    }
}
