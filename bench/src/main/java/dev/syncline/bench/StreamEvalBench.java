package dev.syncline.bench;

import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.rules.SyncRules;
import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.app.BenchRowEvaluators;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.config.StorageConfig;
import dev.syncline.server.pipeline.BatchPolicy;
import dev.syncline.server.pipeline.ReplicationPipeline;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.SourceTable;
import dev.syncline.server.source.postgres.SourceTransaction;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.StorageFactory;
import dev.syncline.server.sync.CheckpointFeed;
import dev.syncline.server.sync.ConnectionCheckpoint;
import dev.syncline.server.sync.ConnectionScope;
import dev.syncline.server.sync.SourcePosition;
import dev.syncline.server.sync.StorageSyncBackend;
import dev.syncline.server.sync.WriteCheckpoints;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Issue 14's evaluation benchmark: what it costs the server, per connection and per checkpoint, to
 * compute a connection's bucket set for a Sync Stream with a subquery over a large membership table,
 * {@code SELECT * FROM items WHERE list_id IN (SELECT list_id FROM memberships WHERE user_id = auth.user_id())},
 * and the same for the equivalent {@code bucket_definitions} (parameter query + data query) on the
 * same data in the same run.
 *
 * <p>What runs is the server's own read side, without HTTP: SQLite bucket storage filled by the
 * server's {@link ReplicationPipeline} and row evaluator (source transactions built in memory, as in
 * {@link PipelineWriteBench}), the server's {@link StorageSyncBackend} with its {@code GenerationFeed},
 * and one {@link ConnectionScope} + feed watch per connection. After each checkpoint every connection
 * does what {@code SyncSession} does: ask its watch whether the change is relevant (a scan of the
 * feed's change log against the connection's interest) and, only if it is, evaluate its scope (lookups
 * through storage, bucket ids, bucket states) and renew its interest. Not included: writing the lines
 * of the checkpoint to the client (the same for both rule sets) and the feed's waker thread, which
 * touches only the connections indexed under a changed topic.
 *
 * <p>Checkpoint kinds (one source transaction each, {@code checkpoints} of each kind):
 * <ul>
 *   <li>{@code forced}: no change, every connection evaluates — the cost without skipping;</li>
 *   <li>{@code items, no reader}: an item of a list nobody is a member of changes;</li>
 *   <li>{@code memberships, not connected}: a membership of a user with no connection is added —
 *       the membership table changes, no connected user's lookup does;</li>
 *   <li>{@code items, connected}: an item of a list with a connected member changes;</li>
 *   <li>{@code memberships, connected}: a connected user gains or loses a list (grant/revoke).</li>
 * </ul>
 * Each row reports CPU time of this (single) thread, which the machine's load moves much less than
 * wall time, and the wall time beside it.
 *
 * <p>Usage: {@code bench/run stream-eval [memberships=100000] [connections=1000] [checkpoints=100]
 * [forcedRounds=3]}; 10 memberships per user, 10 items per list, one member per list among the
 * connected users (with the largest number of connections, memberships / 100).
 */
public final class StreamEvalBench {
    static final String STREAMS_RULES = """
            config:
              edition: 2
            streams:
              list_items:
                auto_subscribe: true
                query: SELECT * FROM items WHERE list_id IN (SELECT list_id FROM memberships WHERE user_id = auth.user_id())
            """;
    static final String BUCKET_RULES = """
            bucket_definitions:
              list_items:
                parameters: SELECT list_id FROM memberships WHERE user_id = request.user_id()
                data:
                  - SELECT * FROM items WHERE list_id = bucket.list_id
            """;
    private static final int PER_USER = 10;
    private static final int ITEMS_PER_LIST = 10;
    private static final TableName ITEMS = TableName.parse("items");
    private static final TableName MEMBERSHIPS = TableName.parse("memberships");
    private static final SourceTable ITEMS_TABLE = new SourceTable(ITEMS, 1, List.of(
            new SourceTable.SourceColumn("id", 25), new SourceTable.SourceColumn("list_id", 25),
            new SourceTable.SourceColumn("title", 25)), List.of("id"), 'd');
    private static final SourceTable MEMBERSHIPS_TABLE = new SourceTable(MEMBERSHIPS, 2, List.of(
            new SourceTable.SourceColumn("id", 25), new SourceTable.SourceColumn("list_id", 25),
            new SourceTable.SourceColumn("user_id", 25)), List.of("id"), 'd');
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        int memberships = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int connections = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int checkpoints = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int forcedRounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        int users = memberships / PER_USER;
        if (connections > users / PER_USER || users % PER_USER != 0) {
            throw new IllegalArgumentException("connections must be at most memberships / " + (PER_USER * PER_USER)
                    + ", and memberships a multiple of " + (PER_USER * PER_USER) + " (at most one connected member per list)");
        }
        String load = Load.average();
        StringBuilder table = new StringBuilder(String.format("%d memberships (%d users × %d lists each, %d lists, %d items), "
                        + "%d connections (users u0..u%d, %d buckets each), %d checkpoints per kind, %d forced rounds; "
                        + "load before %s; timing one step costs %.2f µs CPU itself (included in every figure)%n%n",
                memberships, users, PER_USER, users, users * ITEMS_PER_LIST, connections, connections - 1, PER_USER,
                checkpoints, forcedRounds, load, timerOverheadMicros()));
        table.append("| date | rules | checkpoint kind | checkpoints | connections | evaluations | CPU µs per connection "
                + "per checkpoint | wall µs per connection per checkpoint | CPU µs per evaluation | CPU µs per skip |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        List<Measured> streams = run("streams", STREAMS_RULES, users, connections, checkpoints, forcedRounds, table);
        List<Measured> buckets = run("bucket_definitions", BUCKET_RULES, users, connections, checkpoints, forcedRounds, table);
        table.append(String.format("%nstreams / bucket_definitions, CPU per connection per checkpoint, same run: "));
        for (int i = 0; i < streams.size(); i++) {
            table.append(String.format("%s%s %.2f", i == 0 ? "" : "; ", streams.get(i).kind,
                    streams.get(i).cpuPerConnection / buckets.get(i).cpuPerConnection));
        }
        table.append('\n');
        System.out.print(table);
        ResultFile.write("stream-eval-" + memberships, table.toString());
    }

    record Measured(String kind, double cpuPerConnection) {}

    /** What the two CPU-clock reads around each step cost, median of many (so a skip's figure can be read). */
    private static double timerOverheadMicros() {
        long[] samples = new long[20_001];
        for (int i = 0; i < samples.length; i++) {
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            System.nanoTime(); // as around a step
            samples[i] = THREADS.getCurrentThreadCpuTime() - cpu0;
        }
        java.util.Arrays.sort(samples);
        return samples[samples.length / 2] / 1e3;
    }

    /** One emulated connection: its scope, its feed watch and the generation it has seen, as in SyncSession. */
    private static final class Connection {
        final ConnectionScope scope;
        final CheckpointFeed.Watch watch;
        long seen;
        int buckets;

        Connection(ConnectionScope scope, CheckpointFeed.Watch watch) {
            this.scope = scope;
            this.watch = watch;
        }

        /** SyncSession's step after a change: returns whether the connection evaluated. */
        boolean step(boolean force) throws InterruptedException {
            boolean evaluate = force;
            if (!force) {
                CheckpointFeed.Wake wake = watch.await(seen, Duration.ZERO);
                seen = wake.generation();
                evaluate = wake.relevant();
            }
            if (evaluate) {
                ConnectionCheckpoint checkpoint = scope.current();
                watch.interest(checkpoint.interest());
                buckets = checkpoint.buckets().size();
            }
            return evaluate;
        }
    }

    private static List<Measured> run(String name, String rules, int users, int connections, int checkpoints,
                                      int forcedRounds, StringBuilder table) throws Exception {
        Path dir = Files.createTempDirectory("syncline-stream-eval");
        SyncRulesPlan plan = SyncRules.compile(rules);
        List<Measured> out = new ArrayList<>();
        try (BucketStorage storage = StorageFactory.open(new StorageConfig("sqlite", dir.resolve("syncline.db")))) {
            ReplicationPipeline pipeline = new ReplicationPipeline(storage, BenchRowEvaluators.of(plan), BatchPolicy.DEFAULT,
                    System::nanoTime);
            Source source = new Source(pipeline);
            long loadStart = System.nanoTime();
            source.load(users);
            System.out.printf("%s: %d memberships and %d items stored in %.1f s%n", name, users * PER_USER,
                    users * ITEMS_PER_LIST, (System.nanoTime() - loadStart) / 1e9);
            WriteCheckpoints writeCheckpoints = new WriteCheckpoints(storage.writeCheckpoints(), new NoSource());
            try (StorageSyncBackend backend = new StorageSyncBackend(storage, plan, writeCheckpoints)) {
                StreamingSyncRequest request = StreamingSyncRequest.parse("{}".getBytes(StandardCharsets.UTF_8));
                List<Connection> open = new ArrayList<>(connections);
                long connectStart = System.nanoTime();
                for (int i = 0; i < connections; i++) {
                    String user = "u" + i;
                    Connection c = new Connection(backend.scope(new AuthenticatedUser(user, "{\"sub\":\"" + user + "\"}",
                            Instant.now().plus(Duration.ofHours(1))), request), backend.feed().watch());
                    c.seen = backend.feed().generation();
                    c.step(true);
                    if (c.buckets != PER_USER) {
                        throw new IllegalStateException(name + ": " + user + " has " + c.buckets + " buckets, expected " + PER_USER);
                    }
                    open.add(c);
                }
                System.out.printf("%s: %d connections evaluated once in %.1f s%n", name, connections,
                        (System.nanoTime() - connectStart) / 1e9);
                Random random = new Random(7);
                // Warm-up (JIT, caches): a few of each kind, not reported.
                for (int i = 0; i < 20; i++) {
                    source.updateItem("orphan", "x" + i);
                    steps(open, false);
                    source.updateItem("l" + random.nextInt(users), "warm" + i);
                    steps(open, false);
                }
                out.add(measure(table, name, "forced (no skipping)", forcedRounds, open, true, () -> { }));
                out.add(measure(table, name, "items, no reader", checkpoints, open, false,
                        () -> source.updateItem("orphan", "o" + random.nextInt(ITEMS_PER_LIST))));
                out.add(measure(table, name, "memberships, not connected", checkpoints, open, false,
                        () -> source.addMembership("u" + (connections + random.nextInt(users - connections)),
                                "l" + random.nextInt(users))));
                out.add(measure(table, name, "items, connected", checkpoints, open, false,
                        () -> source.updateItem("l" + Source.listOf(random.nextInt(connections), random.nextInt(PER_USER), users),
                                "i" + random.nextInt(ITEMS_PER_LIST))));
                out.add(measure(table, name, "memberships, connected", checkpoints, open, false,
                        () -> source.toggleMembership("u" + random.nextInt(connections))));
                for (Connection c : open) {
                    c.watch.close();
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return out;
    }

    private interface Change {
        void write() throws Exception;
    }

    private static int steps(List<Connection> open, boolean force) throws InterruptedException {
        int evaluated = 0;
        for (Connection c : open) {
            if (c.step(force)) {
                evaluated++;
            }
        }
        return evaluated;
    }

    /** Writes {@code count} checkpoints of one kind; after each, every connection takes its step (timed). */
    private static Measured measure(StringBuilder table, String rules, String kind, int count, List<Connection> open,
                                    boolean force, Change change) throws Exception {
        long cpu = 0;
        long wall = 0;
        long evaluations = 0;
        long evaluationCpu = 0;
        long skipCpu = 0;
        for (int i = 0; i < count; i++) {
            change.write();
            for (Connection c : open) {
                long cpu0 = THREADS.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                boolean evaluated = c.step(force);
                long spent = THREADS.getCurrentThreadCpuTime() - cpu0;
                wall += System.nanoTime() - t0;
                cpu += spent;
                if (evaluated) {
                    evaluations++;
                    evaluationCpu += spent;
                } else {
                    skipCpu += spent;
                }
            }
        }
        long steps = (long) count * open.size();
        double cpuPer = cpu / 1e3 / steps;
        table.append(String.format("| %s | %s | %s | %d | %d | %d | %.2f | %.2f | %s | %s |%n", LocalDate.now(), rules, kind,
                count, open.size(), evaluations, cpuPer, wall / 1e3 / steps,
                evaluations == 0 ? "—" : String.format("%.1f", evaluationCpu / 1e3 / evaluations),
                evaluations == steps ? "—" : String.format("%.2f", skipCpu / 1e3 / (steps - evaluations))));
        System.out.printf("%s / %s: %d evaluations, %.2f µs CPU per connection per checkpoint%n", rules, kind, evaluations,
                cpuPer);
        return new Measured(kind, cpuPer);
    }

    /** Source transactions built in memory and fed to the pipeline, one checkpoint each. */
    private static final class Source {
        private final ReplicationPipeline pipeline;
        private long lsn = 100;
        private long membershipIds;

        Source(ReplicationPipeline pipeline) {
            this.pipeline = pipeline;
        }

        void load(int users) {
            pipeline.open(l -> { });
            pipeline.loadState();
            SnapshotProgress done = new SnapshotProgress("slot", new Lsn(10), List.of(
                    new SnapshotProgress.TableProgress(ITEMS, 1, List.of(), 0, true),
                    new SnapshotProgress.TableProgress(MEMBERSHIPS, 2, List.of(), 0, true)));
            pipeline.snapshotStarted(done);
            List<Row> chunk = new ArrayList<>();
            int lists = users;
            for (int u = 0; u < users; u++) {
                for (int k = 0; k < PER_USER; k++) {
                    int list = listOf(u, k, users);
                    chunk.add(membership("m" + (membershipIds++), "l" + list, "u" + u));
                    chunk = flushAt(chunk, MEMBERSHIPS_TABLE, done);
                }
            }
            pipeline.snapshotChunk(MEMBERSHIPS_TABLE, chunk, done);
            chunk = new ArrayList<>();
            for (int l = 0; l < lists; l++) {
                for (int i = 0; i < ITEMS_PER_LIST; i++) {
                    chunk.add(item("l" + l, "i" + i, "item " + i + " of list " + l));
                    chunk = flushAt(chunk, ITEMS_TABLE, done);
                }
            }
            for (int i = 0; i < ITEMS_PER_LIST; i++) {
                chunk.add(item("orphan", "o" + i, "item " + i + " of a list without members"));
            }
            pipeline.snapshotChunk(ITEMS_TABLE, chunk, done);
            // The first transaction after the copy's consistent point makes storage consistent (the first checkpoint).
            transaction(List.of(new RowChange.Insert(item("orphan", "x", "first"))));
        }

        /** The k-th list of user u: u, u + users/10, u + 2·users/10, …, so every list has PER_USER members. */
        static int listOf(int u, int k, int users) {
            return (u + k * (users / PER_USER)) % users;
        }

        private List<Row> flushAt(List<Row> chunk, SourceTable table, SnapshotProgress progress) {
            if (chunk.size() < 10_000) {
                return chunk;
            }
            pipeline.snapshotChunk(table, chunk, progress);
            return new ArrayList<>();
        }

        void updateItem(String list, String item) {
            transaction(List.of(new RowChange.Update(null, item(list, item, "changed at " + lsn))));
        }

        void addMembership(String user, String list) {
            transaction(List.of(new RowChange.Insert(membership("m" + (membershipIds++), list, user))));
        }

        /** Grants a connected user the orphan list, or revokes it at the next call for the same user. */
        void toggleMembership(String user) {
            Row row = membership("g-" + user, "orphan", user);
            if (granted.add(user)) {
                transaction(List.of(new RowChange.Insert(row)));
            } else {
                granted.remove(user);
                transaction(List.of(new RowChange.Delete(row)));
            }
        }

        private final java.util.Set<String> granted = new java.util.HashSet<>();

        private void transaction(List<RowChange> changes) {
            long l = lsn += 100;
            pipeline.begin(new SourceTransaction.Begin(l, new Lsn(l), Instant.EPOCH));
            changes.forEach(pipeline::change);
            pipeline.commit(new SourceTransaction.Commit(l, new Lsn(l), new Lsn(l + 1), Instant.EPOCH));
            pipeline.idle(); // commit the batch now: one checkpoint per transaction
        }

        private static Row item(String list, String item, String title) {
            return new Row(ITEMS_TABLE, List.of(SqlValue.of(list + "-" + item), SqlValue.of(list), SqlValue.of(title)));
        }

        private static Row membership(String id, String list, String user) {
            return new Row(MEMBERSHIPS_TABLE, List.of(SqlValue.of(id), SqlValue.of(list), SqlValue.of(user)));
        }
    }

    /** No client here asks for write checkpoints; nothing reads the source position. */
    private static final class NoSource implements SourcePosition {
        @Override
        public CommitPosition current() {
            throw new UnsupportedOperationException("no write checkpoints in this benchmark");
        }

        @Override
        public void emitMarker(String content) {
            throw new UnsupportedOperationException("no write checkpoints in this benchmark");
        }
    }
}
