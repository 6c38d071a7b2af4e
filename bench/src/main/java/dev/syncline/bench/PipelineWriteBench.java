package dev.syncline.bench;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.config.StorageConfig;
import dev.syncline.server.pipeline.BatchPolicy;
import dev.syncline.server.pipeline.HandOffPipeline;
import dev.syncline.server.pipeline.ReplicationPipeline;
import dev.syncline.server.source.postgres.CaptureSink;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.SourceTable;
import dev.syncline.server.source.postgres.SourceTransaction;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.StorageFactory;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The pipeline without PostgreSQL: the same workload as {@link PipelineBench} (small todo rows in
 * 2–3 buckets, 50 % inserts, 25 % updates, 25 % deletes, transactions of 1,000 rows) built in
 * memory and fed straight into {@link ReplicationPipeline} over SQLite storage. Reports wall time
 * and the CPU time of the feeding thread per change, which is far less noisy on a shared machine
 * than the end-to-end figure; use it to compare storage and pipeline changes, and to profile them
 * (add {@code -XX:StartFlightRecording=filename=…} to {@code BENCH_JAVA_OPTS}).
 * Usage: {@code bench/run pipeline-write [changes] [rounds]}.
 */
public final class PipelineWriteBench {
    private static final TableName TODOS = TableName.parse("todos");
    private static final SourceTable TABLE = new SourceTable(TODOS, 1, List.of(
            new SourceTable.SourceColumn("id", 20), new SourceTable.SourceColumn("list_id", 23),
            new SourceTable.SourceColumn("owner", 25), new SourceTable.SourceColumn("title", 25),
            new SourceTable.SourceColumn("done", 16), new SourceTable.SourceColumn("updated_at", 1184)),
            List.of("id"), 'd');

    /** {@code -Dhandoff=false} runs everything on the feeding thread (the pipeline without {@link HandOffPipeline}). */
    private static final boolean HAND_OFF = Boolean.parseBoolean(System.getProperty("handoff", "true"));

    /** The end LSN of the last source transaction {@link #feed} produces. */
    private static long lastCommitEnd(int changes) {
        int inserts = changes / 2;
        int updates = changes / 4;
        int deletes = changes - inserts - updates;
        long transactions = (inserts + 999) / 1000 + (updates + 999) / 1000 + (deletes + 999) / 1000;
        return 100 + 100 * transactions + 1;
    }

    public static void main(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<Double> rates = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        List<Double> total = new ArrayList<>();
        var processCpu = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int round = 1; round <= rounds; round++) {
            Path dir = Files.createTempDirectory("syncline-bench");
            try (BucketStorage storage = StorageFactory.open(new StorageConfig("sqlite", dir.resolve("syncline.db")))) {
                ReplicationPipeline pipeline = new ReplicationPipeline(storage, new PipelineBench.BenchRules(),
                        BatchPolicy.DEFAULT, System::nanoTime);
                HandOffPipeline handOff = HAND_OFF ? new HandOffPipeline(pipeline) : null;
                CaptureSink sink = handOff != null ? handOff : pipeline;
                CountDownLatch reached = new CountDownLatch(1);
                Lsn end = new Lsn(lastCommitEnd(changes));
                sink.open(lsn -> {
                    if (lsn.compareTo(end) >= 0) {
                        reached.countDown();
                    }
                });
                sink.loadState();
                SnapshotProgress done = new SnapshotProgress("slot", new Lsn(10), List.of(
                        new SnapshotProgress.TableProgress(TODOS, 1, List.of(), 0, true)));
                sink.snapshotStarted(done);
                sink.snapshotChunk(TABLE, List.of(), done);
                long cpu0 = threads.getCurrentThreadCpuTime();
                long process0 = processCpu.getProcessCpuTime();
                long t0 = System.nanoTime();
                feed(sink, changes);
                sink.idle();
                reached.await();
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (handOff != null) {
                    handOff.close();
                }
                double cpuMicros = (threads.getCurrentThreadCpuTime() - cpu0) / 1e3 / changes;
                double processMicros = (processCpu.getProcessCpuTime() - process0) / 1e3 / changes;
                rates.add(changes / seconds);
                cpu.add(cpuMicros);
                total.add(processMicros);
                System.out.printf("round %d: %.0f changes/s, CPU per change: %.1f µs on the feeding thread%s, "
                        + "%.1f µs in the whole JVM%n", round, changes / seconds, cpuMicros,
                        HAND_OFF ? " (rules; storage on the writer thread)" : "", processMicros);
            } finally {
                try (var files = Files.walk(dir)) {
                    files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        System.out.printf("median: %.0f changes/s, CPU per change %.1f µs on the feeding thread, %.1f µs in the JVM%n",
                CaptureBench.median(rates), CaptureBench.median(cpu), CaptureBench.median(total));
    }

    /** The workload of {@link CaptureBench#workload} as pgoutput would deliver it (deletes carry only the key). */
    private static void feed(CaptureSink pipeline, int changes) {
        int inserts = changes / 2;
        int updates = changes / 4;
        int deletes = changes - inserts - updates;
        long[] lsn = {100};
        List<RowChange> tx = new ArrayList<>(1000);
        for (int g = 1; g <= inserts; g++) {
            tx.add(new RowChange.Insert(row(g, false, "")));
            flushAt(pipeline, tx, lsn);
        }
        flush(pipeline, tx, lsn);
        for (int g = 1; g <= updates; g++) {
            tx.add(new RowChange.Update(null, row(g, true, "!")));
            flushAt(pipeline, tx, lsn);
        }
        flush(pipeline, tx, lsn);
        for (int g = inserts - deletes + 1; g <= inserts; g++) {
            tx.add(new RowChange.Delete(new Row(TABLE, List.of(SqlValue.of(g), SqlValue.nullValue(),
                    SqlValue.nullValue(), SqlValue.nullValue(), SqlValue.nullValue(), SqlValue.nullValue()))));
            flushAt(pipeline, tx, lsn);
        }
        flush(pipeline, tx, lsn);
    }

    private static Row row(long g, boolean done, String suffix) {
        return new Row(TABLE, List.of(SqlValue.of(g), SqlValue.of(g % 100), SqlValue.of("user" + (g % 50)),
                SqlValue.of("todo number " + g + suffix), SqlValue.of(done ? 1 : 0),
                SqlValue.of("2026-11-26 02:00:00.123456+00")));
    }

    private static void flushAt(CaptureSink pipeline, List<RowChange> tx, long[] lsn) {
        if (tx.size() == 1000) {
            flush(pipeline, tx, lsn);
        }
    }

    private static void flush(CaptureSink pipeline, List<RowChange> tx, long[] lsn) {
        if (tx.isEmpty()) {
            return;
        }
        long l = lsn[0] += 100;
        pipeline.begin(new SourceTransaction.Begin(l, new Lsn(l), Instant.EPOCH));
        tx.forEach(pipeline::change);
        pipeline.commit(new SourceTransaction.Commit(l, new Lsn(l), new Lsn(l + 1), Instant.EPOCH));
        tx.clear();
    }
}
