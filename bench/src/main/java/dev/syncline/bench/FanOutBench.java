package dev.syncline.bench;

import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * BENCHMARKS.md P2 (commit → visible latency with N connected clients at a fixed write rate) and
 * P5 (connections per node, server heap and RSS), one harness: the whole server in this JVM
 * (embedded PostgreSQL, capture, rules, SQLite storage, HTTP NDJSON), N users each with their own
 * list (so their own bucket), and {@link FanOutClients} in a second JVM holding one sync stream
 * per user. Once every stream has applied its first checkpoint, a writer inserts one todo per
 * transaction at {@code txPerSecond} into the list of a random one of the first {@code active}
 * users, with {@code n = clock_timestamp()} in µs (PostgreSQL with {@code synchronous_commit=on}, its default).
 * Each checkpoint changes one user's bucket: only that stream is woken and gets data (the others
 * skip it, see {@code GenerationFeed}). Heap and RSS of this JVM are sampled every 250 ms.
 *
 * <p>Usage: {@code bench/run fanout <clients> <active> [txPerSecond=100] [seconds=20] [label]}. With
 * the label {@code nodes} it runs P10's P2 instead: first the above (SQLite storage, one node, the
 * baseline), then the same on PostgreSQL bucket storage with two nodes (this JVM, the replicator,
 * and a second server process on the same config), the clients alternating between them.
 */
public final class FanOutBench {
    /** The table's header; {@link #run} returns its rows. */
    static final String HEADER = "| date | load before (1/5/15 min) | connected clients | writing to | tx/s | seconds | rows written "
            + "| rows visible | p50 ms | p90 ms | p95 ms | p99 ms | max ms | failed streams | checksum failures "
            + "| heap after GC, all connected | max heap used | RSS connected | max RSS |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";

    public static void main(String[] args) throws Exception {
        int clients = Integer.parseInt(args[0]);
        int active = Math.min(clients, Integer.parseInt(args[1]));
        int txPerSecond = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        String label = args.length > 4 ? args[4] : "p2";
        if (label.equals("nodes")) {
            twoNodes(clients, active, txPerSecond, seconds);
            return;
        }
        if (label.startsWith("nodes-")) {
            twoNodesOnly(clients, active, txPerSecond, seconds, label);
            return;
        }
        Run run = run(clients, active, txPerSecond, seconds, RunningApp.MEMBERSHIP_RULES);
        String table = HEADER + run.row() + run.note();
        System.out.print(table);
        ResultFile.write("fanout-" + label, table);
    }

    /** One P2/P5 run's table row and the line under the table. */
    record Run(String row, String note) {}

    /** PostgreSQL with its default synchronous_commit=on (see {@link #run}). */
    static PostgresTestServer startPostgres() {
        // The embedded server turns synchronous_commit off, and then the walsender only sees a commit
        // once the WAL writer flushes it (every wal_writer_delay, 200 ms), which would add up to 200 ms
        // to every latency here without being Syncline's.
        return PostgresTestServer.start(java.util.Map.of("synchronous_commit", "on"));
    }

    /** The config section that raises the node's connection limit (default 10,000) above {@code clients}. */
    static String connectionLimit(int clients) {
        return "api:\n  parameters:\n    max_concurrent_connections: " + Math.max(10_000, clients + 100) + "\n";
    }

    /** One run on a fresh PostgreSQL and server serving {@code rulesYaml} (over RunningApp's tables). */
    static Run run(int clients, int active, int txPerSecond, int seconds, String rulesYaml) throws Exception {
        Path dir = Files.createTempDirectory("syncline-fanout");
        try (PostgresTestServer server = startPostgres();
             // The node's connection limit raised above the clients, so P5's 10k idle + 1k active fit.
             RunningApp running = RunningApp.start(server, dir, connectionLimit(clients), rulesYaml)) {
            running.awaitReady();
            addUsers(running, clients);
            return run(running, dir, clients, active, txPerSecond, seconds);
        }
    }

    /** P10's P2: one node on SQLite storage, then two nodes on PostgreSQL storage, same harness. */
    private static void twoNodes(int clients, int active, int txPerSecond, int seconds) throws Exception {
        Run single = run(clients, active, txPerSecond, seconds, RunningApp.MEMBERSHIP_RULES);
        Path dir = Files.createTempDirectory("syncline-fanout-nodes");
        TwoNodeRun two = onTwoNodes(dir, clients, List.of(), (running, endpoints, nodeB) ->
                run(running, dir, endpoints, clients, active, txPerSecond, seconds));
        String nodeNote = "two nodes: this JVM (replicator, serving half the clients) and a second server process "
                + "(pid " + two.nodeB() + ", the other half), PostgreSQL bucket storage in the source database";
        String table = "| storage and nodes | " + HEADER.substring(2).replaceFirst("\\|---", "|---|---")
                + "| SQLite, one node (baseline) " + single.row()
                + "| PostgreSQL, two nodes " + two.run().row()
                + "\nbaseline:" + single.note().strip() + "\n" + nodeNote + ";" + two.run().note().strip() + "\n";
        System.out.print(table);
        ResultFile.write("fanout-nodes", table);
    }

    /**
     * P5 across two nodes ({@code nodes-…} labels): no baseline, PostgreSQL bucket storage, this JVM
     * (the replicator) and a second server process with this JVM's {@code -Xmx}; client i on node
     * i mod 2, so each serves half the connections and half the active ones. Both nodes' heap and
     * RSS are reported (the second's heap read with jstat/jcmd).
     */
    private static void twoNodesOnly(int clients, int active, int txPerSecond, int seconds, String label) throws Exception {
        Path dir = Files.createTempDirectory("syncline-fanout-" + label);
        List<String> heapLimit = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-Xmx")).toList();
        TwoNodeRun two = onTwoNodes(dir, clients, heapLimit, (running, endpoints, nodeB) -> {
            try (ExternalJvm b = new ExternalJvm(nodeB)) {
                return run(running, dir, endpoints, clients, active, txPerSecond, seconds, b);
            }
        });
        String nodeNote = "two nodes on PostgreSQL bucket storage (in the source database), " + clients / 2
                + " connections each (" + active / 2 + " active): node A = this JVM (the replicator), node B = a"
                + " second server process (pid " + two.nodeB() + ", " + heapLimit + ")";
        String table = HEADER + two.run().row() + "\n" + nodeNote + ";" + two.run().note().strip() + "\n";
        System.out.print(table);
        ResultFile.write("fanout-" + label, table);
    }

    /** A run measured on two nodes, and node B's process id. */
    private record TwoNodeRun(Run run, long nodeB) {}

    private interface OnTwoNodes {
        Run run(RunningApp nodeA, String endpoints, long nodeB) throws Exception;
    }

    /**
     * Node A in this JVM (the replicator) and node B, a server process of its own started with
     * {@code nodeBJvmOptions}, on PostgreSQL bucket storage in one embedded PostgreSQL, both ready
     * and the clients' users added; {@code work} gets both endpoints, comma-separated. Node B is
     * stopped afterwards.
     */
    private static TwoNodeRun onTwoNodes(Path dir, int clients, List<String> nodeBJvmOptions, OnTwoNodes work)
            throws Exception {
        try (PostgresTestServer server = startPostgres();
             RunningApp running = RunningApp.start(server, dir, connectionLimit(clients), RunningApp.MEMBERSHIP_RULES,
                     true)) {
            running.awaitReady();
            Path nodeBDir = Files.createDirectories(dir.resolve("node-b"));
            var nodeB = dev.syncline.server.app.ServerProcess.start(dir.resolve("syncline.yaml"), running.db.uri(),
                    nodeBDir, dir.resolve("node-b.log"), nodeBJvmOptions);
            try {
                String endpointB = "http://127.0.0.1:" + nodeB.getValue();
                awaitReady(endpointB);
                addUsers(running, clients);
                return new TwoNodeRun(work.run(running, running.endpoint() + "," + endpointB, nodeB.getKey().pid()),
                        nodeB.getKey().pid());
            } finally {
                nodeB.getKey().destroy();
                nodeB.getKey().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitReady(String endpoint) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < end) {
            try {
                if (http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(endpoint + "/probes/readiness")).build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("node " + endpoint + " did not become ready");
    }

    /** Users u0..u(n-1), each the only member of their own list lu0..lu(n-1). */
    static void addUsers(RunningApp running, int clients) throws Exception {
        running.db.execute("INSERT INTO lists SELECT 'lu' || g, 'list of u' || g, 'u' || g FROM generate_series(0, "
                        + (clients - 1) + ") g",
                "INSERT INTO list_members SELECT 'lu' || g, 'u' || g FROM generate_series(0, " + (clients - 1) + ") g");
    }

    /** P2 on a running server whose users u0..u(clients-1) exist ({@link #addUsers}). */
    static Run run(RunningApp running, Path dir, int clients, int active, int txPerSecond, int seconds) throws Exception {
        return run(running, dir, running.endpoint(), clients, active, txPerSecond, seconds);
    }

    /** P2 with the clients spread over {@code endpoints} (comma-separated nodes sharing one storage). */
    static Run run(RunningApp running, Path dir, String endpoints, int clients, int active, int txPerSecond, int seconds)
            throws Exception {
        return run(running, dir, endpoints, clients, active, txPerSecond, seconds, null);
    }

    /** ... and, with {@code nodeB}, the heap and RSS of that second node sampled beside this JVM's. */
    static Run run(RunningApp running, Path dir, String endpoints, int clients, int active, int txPerSecond, int seconds,
                   ExternalJvm nodeB) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        Path tokens = dir.resolve("tokens.txt");
        List<String> lines = new ArrayList<>(clients);
        for (int i = 0; i < clients; i++) {
            lines.add(running.token("u" + i));
        }
        Files.write(tokens, lines);
        Thread.sleep(3000); // let replication store the memberships (a late one only arrives as a diff)

        // With a second node, one client JVM per node (user i on node i mod 2, as FanOutClients spreads
        // them): one JVM may hold at most its open-file limit (20,000 here) of sockets, P5 needs 22,000.
        String[] nodes = nodeB == null ? new String[] {endpoints} : endpoints.split(",");
        List<ClientJvm> clientJvms = new ArrayList<>();
        for (int k = 0; k < nodes.length; k++) {
            Path own = tokens;
            int ownActive = active;
            if (nodes.length > 1) {
                List<String> mine = new ArrayList<>();
                ownActive = 0;
                for (int i = k; i < clients; i += nodes.length) {
                    mine.add(lines.get(i));
                    ownActive += i < active ? 1 : 0;   // users u0..u(active-1) are the active ones
                }
                own = Files.write(dir.resolve("tokens-" + k + ".txt"), mine);
            }
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    // 2 GiB hold 11,000 streams
                    "-Xmx" + System.getProperty("fanout.clients.xmx", "2g"), "-cp", System.getProperty("java.class.path"),
                    FanOutClients.class.getName(),
                    nodes[k], own.toString(), Integer.toString(ownActive), dir.resolve("clients-" + k).toString());
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            Process process = pb.start();
            clientJvms.add(new ClientJvm(process,
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)),
                    new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8)));
        }

        AtomicLong maxHeap = new AtomicLong();
        AtomicLong maxRss = new AtomicLong();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                maxRss.accumulateAndGet(Load.rssBytes(), Math::max);
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });

        long connectStart = System.nanoTime();
        StringBuilder syncedLines = new StringBuilder();
        for (ClientJvm c : clientJvms) {
            syncedLines.append(syncedLines.isEmpty() ? "" : "; ").append(awaitLine(c.from(), "SYNCED", 900));
        }
        String syncedLine = syncedLines.toString();
        double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
        System.out.printf("%s after %.1f s%n", syncedLine, connectSeconds);
        System.gc();
        Thread.sleep(500);
        long liveHeapConnected = memory.getHeapMemoryUsage().getUsed();
        long rssConnected = Load.rssBytes();
        long liveHeapConnectedB = nodeB == null ? 0 : nodeB.heapAfterGc();
        long rssConnectedB = nodeB == null ? 0 : nodeB.rssBytes();

        String load = Load.average();
        long written = write(running, "w", active, txPerSecond, seconds);
        Thread.sleep(3000); // rows of the last checkpoints arrive
        clientJvms.forEach(c -> c.to().println("STOP"));
        List<String> results = new ArrayList<>();
        for (ClientJvm c : clientJvms) {
            results.add(awaitLine(c.from(), "RESULT", 120));
            c.process().waitFor(30, TimeUnit.SECONDS);
            c.process().destroy();
        }
        sampler.interrupt();
        String result = results.size() == 1 ? results.getFirst() : merged(results);

        String row = String.format("| %s | %s | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d MiB | %d MiB | %d MiB | %d MiB |%n",
                LocalDate.now(), load, clients, active, txPerSecond, seconds, written, field(result, "received"),
                ms(field(result, "p50")), ms(field(result, "p90")), ms(field(result, "p95")), ms(field(result, "p99")), ms(field(result, "max")),
                field(result, "failed"), field(result, "checksumFailures"), liveHeapConnected >> 20, maxHeap.get() >> 20,
                rssConnected >> 20, maxRss.get() >> 20);
        String note = String.format("%nstreams connected and first-synced in %.1f s; heap limit %d MiB%n", connectSeconds,
                memory.getHeapMemoryUsage().getMax() >> 20);
        if (nodeB != null) {
            row = row.replaceFirst(" \\| (\\d+ MiB) \\| (\\d+ MiB) \\| (\\d+ MiB) \\| (\\d+ MiB) \\|\\n$",
                    String.format(" | A $1, B %d MiB | A $2, B %d MiB | A $3, B %d MiB | A $4, B %d MiB |%n",
                            liveHeapConnectedB >> 20, nodeB.maxHeapBytes() >> 20, rssConnectedB >> 20,
                            nodeB.maxRssBytes() >> 20));
            note = note.stripTrailing() + String.format(" (node B: %s)%n", nodeB.heapLimit());
        }
        return new Run(row, note);
    }

    /**
     * One INSERT per transaction into the list of a random one of users u0..u(active-1), paced on an
     * absolute schedule, ids {@code idPrefix + i}; returns how many were committed.
     */
    static long write(RunningApp running, String idPrefix, int active, int txPerSecond, int seconds) throws Exception {
        long intervalNanos = 1_000_000_000L / txPerSecond;
        long total = (long) txPerSecond * seconds;
        java.util.Random random = new java.util.Random(1);
        try (Connection c = running.db.connect();
             PreparedStatement insert = c.prepareStatement("INSERT INTO todos VALUES (?, ?, 'new todo', false, "
                     + "(extract(epoch FROM clock_timestamp()) * 1000000)::int8)")) {
            c.setAutoCommit(true);
            long start = System.nanoTime();
            for (long i = 0; i < total; i++) {
                long due = start + i * intervalNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                insert.setString(1, idPrefix + i);
                insert.setString(2, "lu" + random.nextInt(active));
                insert.executeUpdate();
            }
            return total;
        }
    }

    private static String awaitLine(BufferedReader in, String prefix, int timeoutSeconds) throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                String l;
                while ((l = in.readLine()) != null) {
                    if (l.startsWith(prefix)) {
                        return l;
                    }
                }
                throw new IllegalStateException("the client JVM ended before printing " + prefix);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return line.get(timeoutSeconds, TimeUnit.SECONDS);
    }

    /** One client JVM and its stdin/stdout. */
    private record ClientJvm(Process process, BufferedReader from, PrintWriter to) {}

    /**
     * The RESULT lines of one client JVM per node as one: counts added up, latencies per node
     * ({@code node A / node B}, already in ms; percentiles of two populations do not add up).
     */
    private static String merged(List<String> results) {
        StringBuilder line = new StringBuilder("RESULT");
        for (String count : List.of("received", "failed", "checksumFailures")) {
            long sum = 0;
            for (String r : results) {
                sum += Long.parseLong(field(r, count));
            }
            line.append(' ').append(count).append('=').append(sum);
        }
        for (String latency : List.of("p50", "p90", "p95", "p99", "max")) {
            line.append(' ').append(latency).append('=').append(String.join("/",
                    results.stream().map(r -> ms(field(r, latency))).toList()));
        }
        return line.toString();
    }

    private static String field(String line, String name) {
        for (String part : line.split(" ")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return "?";
    }

    private static String ms(String micros) {
        try {
            return String.format("%.1f", Long.parseLong(micros) / 1000.0);
        } catch (NumberFormatException e) {
            return micros;
        }
    }
}
