package dev.syncline.bench;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.config.StorageConfig;
import dev.syncline.server.pipeline.AckSwitch;
import dev.syncline.server.pipeline.BatchPolicy;
import dev.syncline.server.pipeline.BucketRow;
import dev.syncline.server.pipeline.HandOffPipeline;
import dev.syncline.server.pipeline.ReplicationPipeline;
import dev.syncline.server.pipeline.RowEvaluator;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.PostgresChangeCapture;
import dev.syncline.server.source.postgres.RowImageLookup;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.StorageFactory;
import dev.syncline.server.storage.StorageUsage;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * BENCHMARKS.md P1: row changes/s from PostgreSQL commit to durable bucket ops (capture, sync
 * rules, SQLite storage with synchronous=FULL, LSN acknowledged), against a bare pgjdbc pgoutput
 * reader on the same WAL backlog in the same run. Small rows, each in 2–3 buckets.
 * Usage: {@code bench/run pipeline [changes] [rounds] [storages]}, storages a comma-separated list of
 * {@code sqlite} (the default) and {@code postgresql} (P10: bucket storage in another database of
 * the same PostgreSQL server, or with {@code -Dstorage.server=separate} on a server of its own); with both, each round runs both, alternating which goes first.
 */
public final class PipelineBench {
    public static void main(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<String> storages = List.of((args.length > 2 ? args[2] : "sqlite").split(","));
        Map<String, List<double[]>> results = new java.util.LinkedHashMap<>();
        storages.forEach(st -> results.put(st, new ArrayList<>()));
        try (PostgresTestServer server = PostgresTestServer.start();
             PostgresTestServer storageServer = SEPARATE_STORAGE_SERVER ? PostgresTestServer.start() : null) {
            for (int round = 1; round <= rounds; round++) {
                for (int turn = 0; turn < storages.size(); turn++) {
                    String storage = storages.get((round - 1 + turn) % storages.size());
                    try (TestDatabase db = server.createDatabase();
                         TestDatabase storageDb = (storageServer != null ? storageServer : server).createDatabase()) {
                        double[] r = round(db, changes, storageConfig(storage, storageDb));
                        results.get(storage).add(r);
                        System.out.printf("round %d, %s storage: raw pgoutput %.0f changes/s, syncline pipeline %.0f "
                                + "changes/s (%.0f ops/s), ratio %.2f%n", round, storage, r[0], r[1], r[2], r[1] / r[0]);
                    }
                }
            }
        }
        report(changes, results);
    }

    private static StorageConfig storageConfig(String type, TestDatabase storageDb) throws IOException {
        return switch (type) {
            case "sqlite" -> new StorageConfig("sqlite", Files.createTempDirectory("syncline-bench").resolve("syncline.db"));
            case "postgresql" -> new StorageConfig("postgresql", null, new dev.syncline.server.config.PostgresConnectionConfig(
                    "default", storageDb.host(), storageDb.port(), storageDb.name(), storageDb.user(),
                    new dev.syncline.server.config.Secret(storageDb.password()),
                    dev.syncline.server.config.SslMode.DISABLE), "syncline_storage");
            default -> throw new IllegalArgumentException("unknown storage " + type + " (sqlite, postgresql)");
        };
    }

    private static double[] round(TestDatabase db, int changes, StorageConfig storageConfig) throws Exception {
        db.execute("CREATE TABLE todos (id bigint PRIMARY KEY, list_id int, owner text, title text, done boolean, "
                        + "updated_at timestamptz)",
                "CREATE PUBLICATION bench_raw FOR TABLE todos",
                "SELECT pg_create_logical_replication_slot('bench_raw', 'pgoutput')");
        Path dir = storageConfig.path() != null ? storageConfig.path().getParent() : Files.createTempDirectory("syncline-bench");
        PgSourceSettings settings = PgSourceSettings.defaults(db.jdbcUrl(), db.user(), db.password(),
                List.of(TableName.parse("todos")));
        try (BucketStorage storage = StorageFactory.open(storageConfig)) {
            ReplicationPipeline pipeline = new ReplicationPipeline(storage, new BenchRules(), batchPolicy(),
                    System::nanoTime);
            HandOffPipeline handOff = HAND_OFF ? new HandOffPipeline(pipeline) : null;
            AckSwitch sink = new AckSwitch(handOff != null ? handOff : pipeline);
            RowImageLookup images = handOff != null ? handOff : pipeline;
            CountDownLatch reached = new CountDownLatch(1);
            // Syncline's slot is created by its own start-up on the empty table (snapshot of 0 rows).
            try (PostgresChangeCapture capture = new PostgresChangeCapture(settings, sink, images)) {
                capture.start();
            }
            Lsn end = CaptureBench.workload(db, changes);
            double raw = CaptureBench.rawRead(db, end, changes);
            sink.onDurable = lsn -> {
                if (lsn.compareTo(end) >= 0) {
                    reached.countDown();
                }
            };
            long start = System.nanoTime();
            try (PostgresChangeCapture capture = new PostgresChangeCapture(settings, sink, images)) {
                capture.start();
                if (!reached.await(10, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("pipeline did not make " + end + " durable");
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (handOff != null) {
                handOff.close();
            }
            long ops;
            try (var view = storage.reader().open()) {
                ops = view.bucketStats().stream().mapToLong(b -> b.ops()).sum();
            }
            long expectedOps = expectedOps(changes);
            if (ops != expectedOps) {
                throw new IllegalStateException("pipeline stored " + ops + " ops, expected " + expectedOps);
            }
            StorageUsage.log(storage, dir.toString(), "after the round");
            return new double[] {raw, changes / seconds, ops / seconds};
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * {@code -Dstorage.server=separate} puts PostgreSQL storage on a PostgreSQL server of its own
     * rather than in another database of the source's: there the source's walsender also reads
     * (and skips) storage's WAL, and both share one WAL's fsyncs.
     */
    private static final boolean SEPARATE_STORAGE_SERVER = "separate".equals(System.getProperty("storage.server"));

    /** {@code -Dhandoff=false} runs storage on the capture thread (the pipeline without {@link HandOffPipeline}), for A/B runs. */
    private static final boolean HAND_OFF = Boolean.parseBoolean(System.getProperty("handoff", "true"));

    /** {@code -Dbatch.changes=… -Dbatch.millis=…} override {@link BatchPolicy#DEFAULT}, for tuning. */
    private static BatchPolicy batchPolicy() {
        return new BatchPolicy(Integer.getInteger("batch.changes", BatchPolicy.DEFAULT.maxChanges()),
                java.time.Duration.ofMillis(Long.getLong("batch.millis", BatchPolicy.DEFAULT.maxDelay().toMillis())));
    }

    /**
     * What {@link CaptureBench#workload} must produce under {@link BenchRules}: an insert (not done)
     * is 3 PUTs, an update to done is 2 PUTs and a REMOVE from open[], a delete of a row that was
     * never updated is 3 REMOVEs.
     */
    static long expectedOps(int changes) {
        int inserts = changes / 2;
        int updates = changes / 4;
        int deletes = changes - inserts - updates;
        return 3L * inserts + 3L * updates + 3L * deletes;
    }

    /** Small todo rows in 2–3 buckets each: their list, their owner, and the open-todos bucket while not done. */
    public static final class BenchRules implements RowEvaluator {
        @Override
        public List<BucketRow> dataRows(TableName table, Map<String, SqlValue> row) {
            String id = text(row.get("id"));
            String json = json(row);
            List<BucketRow> out = new ArrayList<>(3);
            out.add(new BucketRow("by_list[\"" + text(row.get("list_id")) + "\"]", "todos", id, json));
            out.add(new BucketRow("by_owner[\"" + text(row.get("owner")) + "\"]", "todos", id, json));
            if (row.get("done") instanceof SqlValue.Int d && d.value() == 0) {
                out.add(new BucketRow("open[]", "todos", id, json));
            }
            return out;
        }

        @Override
        public List<ParameterEntry> parameterRows(TableName table, Map<String, SqlValue> row) {
            return List.of();
        }

        private static String text(SqlValue v) {
            return switch (v) {
                case SqlValue.Null n -> "";
                case SqlValue.Int i -> Long.toString(i.value());
                case SqlValue.Real r -> Double.toString(r.value());
                case SqlValue.Text t -> t.value();
            };
        }

        /** Good enough JSON for a benchmark: the row's columns, strings escaped for quotes and backslashes. */
        private static String json(Map<String, SqlValue> row) {
            StringBuilder b = new StringBuilder(128).append('{');
            row.forEach((k, v) -> {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append('"').append(k).append("\":");
                switch (v) {
                    case SqlValue.Null n -> b.append("null");
                    case SqlValue.Int i -> b.append(i.value());
                    case SqlValue.Real r -> b.append(r.value());
                    case SqlValue.Text t -> b.append('"').append(t.value().replace("\\", "\\\\").replace("\"", "\\\""))
                            .append('"');
                }
            });
            return b.append('}').toString();
        }
    }

    private static void report(int changes, Map<String, List<double[]>> byStorage) throws IOException {
        StringBuilder table = new StringBuilder("| date | load (1/5/15 min) | storage | changes per round | rounds "
                + "| raw pgoutput changes/s (median) | Syncline pipeline changes/s (median) | bucket ops/s (median) "
                + "| ratio (median) |\n|---|---|---|---|---|---|---|---|---|\n");
        Map<String, Double> pipelineMedians = new java.util.LinkedHashMap<>();
        byStorage.forEach((storage, results) -> {
            List<Double> raw = new ArrayList<>();
            List<Double> pipeline = new ArrayList<>();
            List<Double> ops = new ArrayList<>();
            List<Double> ratio = new ArrayList<>();
            for (double[] r : results) {
                raw.add(r[0]);
                pipeline.add(r[1]);
                ops.add(r[2]);
                ratio.add(r[1] / r[0]);
            }
            pipelineMedians.put(storage, CaptureBench.median(pipeline));
            table.append(String.format("| %s | %s | %s | %d | %d | %.0f | %.0f | %.0f | %.2f |%n", LocalDate.now(),
                    Load.average(), storage, changes, results.size(), CaptureBench.median(raw),
                    CaptureBench.median(pipeline), CaptureBench.median(ops), CaptureBench.median(ratio)));
        });
        if (pipelineMedians.containsKey("sqlite") && pipelineMedians.containsKey("postgresql")) {
            table.append(String.format("%nP10: PostgreSQL storage at %.2f× the SQLite storage's changes/s, same run "
                    + "(goal ≥ 0.50)%n", pipelineMedians.get("postgresql") / pipelineMedians.get("sqlite")));
        }
        System.out.println();
        System.out.print(table);
        ResultFile.write("pipeline", table.toString());
    }
}
