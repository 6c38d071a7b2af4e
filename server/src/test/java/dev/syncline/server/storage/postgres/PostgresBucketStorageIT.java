package dev.syncline.server.storage.postgres;

import dev.syncline.server.config.PostgresConnectionConfig;
import dev.syncline.server.config.Secret;
import dev.syncline.server.config.SslMode;
import dev.syncline.server.config.StorageConfig;
import dev.syncline.server.storage.BucketCompactor;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.BucketStorageContractTest;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.StorageFactory;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bucket storage contract on PostgreSQL (embedded server; one schema per test directory). */
class PostgresBucketStorageIT extends BucketStorageContractTest {
    private static PostgresTestServer server;
    private static TestDatabase db;

    @BeforeAll
    static void startServer() {
        server = PostgresTestServer.start();
        db = server.createDatabase();
    }

    @AfterAll
    static void stopServer() {
        db.close();
        server.close();
    }

    private static String schema(Path dir) {
        return "storage_" + Integer.toHexString(dir.toAbsolutePath().toString().hashCode());
    }

    @Override
    protected BucketStorage openStorage(Path dir) {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        return PostgresBucketStorage.open(db.jdbcUrl(), p, schema(dir));
    }

    @Override
    protected boolean tracksChanges() {
        return true;
    }

    @Test
    void readersBeyondMaxReadConnectionsWaitForOneAndThenAreToldToRetry() throws Exception {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        String schema = schema(dir) + "_bounded";
        try (PostgresBucketStorage s = PostgresBucketStorage.open(db.jdbcUrl(), p, schema, dev.syncline.server.storage.WriterFence.NONE,
                2, java.time.Duration.ofSeconds(2))) {
            int before = backends();
            var first = s.reader().open();
            var second = s.reader().open();
            var third = java.util.concurrent.CompletableFuture.supplyAsync(() -> s.reader().open());
            // Two views open: the third waits (and so opens no third connection) until one closes.
            assertThatThrownBy(() -> third.get(500, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
            assertThat(backends() - before).isLessThanOrEqualTo(2);
            first.close();
            third.get(10, java.util.concurrent.TimeUnit.SECONDS).close();
            // Both permits taken for longer than the wait: a retryable failure, as a busy database.
            var fourth = s.reader().open();
            assertThatThrownBy(() -> s.reader().open()).isInstanceOf(StorageException.class)
                    .hasMessageContaining("max_read_connections")
                    .satisfies(e -> assertThat(dev.syncline.server.storage.StorageFailures.connectionLost(e)).isTrue());
            fourth.close();
            second.close();
            s.reader().open().close();
        }
    }

    /** Connections to the test database other than this query's. */
    private static int backends() throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                     + " AND pid <> pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void refusesASchemaFromANewerVersion() throws Exception {
        open().close();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("UPDATE " + schema(dir) + ".schema_version SET version = 99");
        }
        assertThatThrownBy(this::open).isInstanceOf(StorageException.class).hasMessageContaining("version 99");
    }

    @Test
    void migrationsRunOnceAndReopeningKeepsTheVersion() throws Exception {
        open().close();
        open().close();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*), max(version) FROM " + schema(dir) + ".schema_version")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
            assertThat(rs.getInt(2)).isEqualTo(PostgresSchema.VERSION);
        }
    }

    /**
     * {@code ReadView.compactedUpTo} (what lets a node rebuild an Electric shape at an older op id):
     * 0 before any compaction, the checkpoint of the last compaction that changed the bucket, kept
     * by runs that change nothing, and unknown (max) in a schema from before version 4 until the
     * bucket's next compaction.
     */
    @Test
    void compactedUpToIsTheCheckpointOfTheLastCompactionThatChangedTheBucket() throws Exception {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{\"v\":1}");
            tx.put(new Placement("b[]", "t", "1"), "k1", "{}");
            tx.commit(new CommitPosition(10), true);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{\"v\":2}");
            tx.commit(new CommitPosition(20), true);
        }
        long compactedAt;
        try (var v = s.reader().open()) {
            assertThat(v.compactedUpTo("a[]")).isZero();
            assertThat(v.compactedUpTo("nothing[]")).isZero();
            compactedAt = v.checkpoint().orElseThrow().lastOpId().value();
        }
        s.compactor().compactAll();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("b[]", "t", "2"), "k2", "{}");
            tx.commit(new CommitPosition(30), true);
        }
        s.compactor().compactAll();
        try (var v = s.reader().open()) {
            assertThat(v.compactedUpTo("a[]")).as("the run that made the MOVE").isEqualTo(compactedAt);
            assertThat(v.compactedUpTo("b[]")).as("never changed by compaction").isZero();
        }
        s.close();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE " + schema(dir) + ".buckets DROP COLUMN compacted_up_to");
            st.execute("UPDATE " + schema(dir) + ".schema_version SET version = 3");
        }
        BucketStorage reopened = open();
        long latest;
        try (var v = reopened.reader().open()) {
            assertThat(v.compactedUpTo("a[]")).isEqualTo(Long.MAX_VALUE);
            assertThat(v.compactedUpTo("b[]")).isEqualTo(Long.MAX_VALUE);
            latest = v.checkpoint().orElseThrow().lastOpId().value();
        }
        reopened.compactor().compactAll();
        try (var v = reopened.reader().open()) {
            assertThat(v.compactedUpTo("a[]")).isEqualTo(latest);
            assertThat(v.compactedUpTo("b[]")).isEqualTo(latest);
        }
        // A mark above this run's checkpoint was set by a compactor that ran beside it (`syncline
        // compact` beside the server's) and changed the bucket up to there: never lowered, whether
        // this run changes the bucket (a[]) or not (b[]). Lowered, it would let a node rebuild a
        // shape at an offset that compaction had already hidden rows of.
        long above = latest + 1_000;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("UPDATE " + schema(dir) + ".buckets SET compacted_up_to = " + above);
        }
        try (WriteTransaction tx = reopened.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{\"v\":3}");
            tx.commit(new CommitPosition(40), true);
        }
        BucketCompactor.CompactionResult last = reopened.compactor().compactAll();
        assertThat(last.movedOps()).as("the run changed a[]").isPositive();
        try (var v = reopened.reader().open()) {
            assertThat(v.compactedUpTo("a[]")).isEqualTo(above);
            assertThat(v.compactedUpTo("b[]")).isEqualTo(above);
        }
        reopened.close();
    }

    /**
     * Regression: a migration's statements waited for a table lock without a {@code lock_timeout}
     * under the 60 s socket timeout, so a node running older code that held {@code buckets} for
     * longer (a compaction of a large bucket in one transaction) made the upgraded node give up at
     * start while its {@code ALTER TABLE} stayed queued in PostgreSQL ahead of everyone else's. The
     * wait now goes in {@code lock_timeout} steps shorter than the socket timeout.
     */
    @Test
    void aMigrationWaitsForATableHeldLongerThanTheSocketTimeout() throws Exception {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
            tx.commit(new CommitPosition(10), true);
        }
        s.close();
        String sc = schema(dir);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE " + sc + ".buckets DROP COLUMN compacted_up_to");
            st.execute("UPDATE " + sc + ".schema_version SET version = 3");
        }
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        p.setProperty("socketTimeout", "2");
        PostgresConnections connections = new PostgresConnections(db.jdbcUrl(), p, sc);
        try (Connection holder = db.connect()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("LOCK TABLE " + sc + ".buckets IN ACCESS SHARE MODE");
            }
            Thread release = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(5_000);   // more than twice the socket timeout
                    holder.commit();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Connection c = connections.open()) {
                PostgresSchema.migrate(c, sc, connections.lockWait());
            } finally {
                release.join();
            }
        }
        assertThat(count("SELECT max(version) FROM " + sc + ".schema_version")).isEqualTo(PostgresSchema.VERSION);
        BucketStorage reopened = open();
        try (var v = reopened.reader().open()) {
            assertThat(v.compactedUpTo("a[]")).as("a bucket from before version 4: unknown").isEqualTo(Long.MAX_VALUE);
        }
        reopened.close();
    }

    /** A version-1 schema (no source xids) gains their table and keeps its ops. */
    @Test
    void aVersion1SchemaGainsTheSourceXidTableAndKeepsItsOps() throws Exception {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
            tx.commit(new CommitPosition(10), true);
        }
        s.close();
        storeOpsAsVersion2Did();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE " + schema(dir) + ".source_xids");
            st.execute("UPDATE " + schema(dir) + ".schema_version SET version = 1");
        }
        BucketStorage reopened = open();
        dev.syncline.protocol.OpId added;
        try (WriteTransaction tx = reopened.writer().begin()) {
            added = tx.put(new Placement("a[]", "t", "2"), "k2", "{}");
            tx.sourceTransaction(42);
            tx.commit(new CommitPosition(20), true);
        }
        var all = new dev.syncline.protocol.OpId(Long.MAX_VALUE);
        try (var v = reopened.reader().open()) {
            assertThat(v.ops("a[]", dev.syncline.protocol.OpId.ZERO, all, 10)).hasSize(2);
            assertThat(v.sourceXids(dev.syncline.protocol.OpId.ZERO, all))
                    .containsExactly(new dev.syncline.server.storage.SourceXid(added.value(), added.value(), 42));
        }
        assertThat(PostgresSchema.VERSION).isEqualTo(4);
    }

    /**
     * A version-2 schema (one {@code ops} row per op) becomes version 3 with every op kept as a
     * segment of one: reads, checksums, compaction and new writes then work on the converted log.
     */
    @Test
    void aVersion2SchemaKeepsItsOpsAsSegments() throws Exception {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{\"v\":1}");
            tx.put(new Placement("a[]", "t", "2"), "k2", "{\"v\":\"two, \\\"quoted\\\"\"}");
            tx.put(new Placement("b[]", "t", "1"), "k1", "{}");
            tx.commit(new CommitPosition(10), true);
        }
        try (WriteTransaction tx = s.writer().begin()) {
            tx.remove(new Placement("a[]", "t", "1"), "k1");
            tx.commit(new CommitPosition(20), true);
        }
        var all = new dev.syncline.protocol.OpId(Long.MAX_VALUE);
        java.util.List<dev.syncline.server.storage.BucketOp> before;
        dev.syncline.server.storage.BucketChecksum checksumBefore;
        try (var v = s.reader().open()) {
            before = v.ops("a[]", dev.syncline.protocol.OpId.ZERO, all, 100);
            checksumBefore = v.checksum("a[]");
        }
        s.close();
        storeOpsAsVersion2Did();
        BucketStorage reopened = open();
        try (var v = reopened.reader().open()) {
            assertThat(v.ops("a[]", dev.syncline.protocol.OpId.ZERO, all, 100)).isEqualTo(before);
            assertThat(v.checksum("a[]")).isEqualTo(checksumBefore);
            assertThat(v.ops("b[]", dev.syncline.protocol.OpId.ZERO, all, 100)).hasSize(1);
        }
        reopened.compactor().compactAll();
        try (WriteTransaction tx = reopened.writer().begin()) {
            tx.put(new Placement("a[]", "t", "3"), "k3", "{}");
            tx.commit(new CommitPosition(30), true);
        }
        try (var v = reopened.reader().open()) {
            var ops = v.ops("a[]", dev.syncline.protocol.OpId.ZERO, all, 100);
            assertThat(ops).hasSize(4);   // the superseded PUT of t/1 became a MOVE; the new PUT follows
            assertThat(ops.get(0)).isInstanceOf(dev.syncline.server.storage.BucketOp.Move.class);
            assertThat(ops.get(1)).isEqualTo(before.get(1));
            long sum = 0;
            for (var op : ops) {
                sum = dev.syncline.protocol.OpChecksum.add(sum, op.checksum());
            }
            assertThat(v.checksum("a[]").checksum()).isEqualTo(sum);
        }
        reopened.close();
    }

    /**
     * Migration 3 converts the stored ops in batches: stopped midway (its connection terminated, or
     * a failure), it leaves the schema at version 2 with the converted ops in {@code op_segments}, the
     * rest in {@code ops_converting} and no {@code ops} table for an older Syncline to misread; the
     * next open goes on from there, logs its progress and ends with every op, checksum and read as
     * before. Regression: it converted everything in one transaction at open, showing nothing.
     */
    @Test
    void anInterruptedMigrationToSegmentsGoesOnWhereItStoppedAndShowsProgress() throws Exception {
        BucketStorage s = open();
        for (int t = 0; t < 5; t++) {
            try (WriteTransaction tx = s.writer().begin()) {
                for (int i = 0; i < 500; i++) {
                    String bucket = "m" + (i % 3) + "[]";
                    if (i % 7 == 0) {
                        tx.remove(new Placement(bucket, "t", Integer.toString(i % 50)), "");
                    } else {
                        tx.put(new Placement(bucket, "t", Integer.toString(i % 50)), "", "{\"t\":" + t + "}");
                    }
                }
                tx.commit(new CommitPosition(t + 1), true);
            }
        }
        var all = new dev.syncline.protocol.OpId(Long.MAX_VALUE);
        java.util.Map<String, java.util.List<dev.syncline.server.storage.BucketOp>> before = new java.util.HashMap<>();
        java.util.Map<String, dev.syncline.server.storage.BucketChecksum> checksums = new java.util.HashMap<>();
        try (var v = s.reader().open()) {
            for (String b : List.of("m0[]", "m1[]", "m2[]")) {
                before.put(b, v.ops(b, dev.syncline.protocol.OpId.ZERO, all, 10_000));
                checksums.put(b, v.checksum(b));
            }
        }
        s.close();
        storeOpsAsVersion2Did();
        String sc = schema(dir);
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        PostgresConnections connections = new PostgresConnections(db.jdbcUrl(), p, sc);

        // Killed after its first batch of 1,000 ops (the process dies, or its session is terminated).
        try (Connection c = connections.open()) {
            int pid;
            try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getInt(1);
            }
            int[] batches = {0};
            assertThatThrownBy(() -> PostgresSchema.migrate(c, sc, java.time.Duration.ofSeconds(30), 1000, () -> {
                if (++batches[0] == 1) {
                    db.execute("SELECT pg_terminate_backend(" + pid + ", 10000)");
                }
            })).isInstanceOf(java.sql.SQLException.class);
        }
        assertThat(count("SELECT max(version) FROM " + sc + ".schema_version")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM " + sc + ".op_segments")).isEqualTo(1000);
        assertThat(count("SELECT count(*) FROM " + sc + ".ops_converting")).isEqualTo(1500);
        assertThat(count("SELECT count(*) FROM pg_tables WHERE schemaname = '" + sc + "' AND tablename = 'ops'")).isZero();
        // Stopped again, by a failure after one more batch.
        try (Connection c = connections.open()) {
            assertThatThrownBy(() -> PostgresSchema.migrate(c, sc, java.time.Duration.ofSeconds(30), 1000, () -> {
                throw new IllegalStateException("injected: the process dies here");
            })).hasMessageContaining("injected");
        }
        assertThat(count("SELECT count(*) FROM " + sc + ".op_segments")).isEqualTo(2000);
        assertThat(count("SELECT max(version) FROM " + sc + ".schema_version")).isEqualTo(2);

        var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(PostgresSchema.class);
        var appender = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        appender.start();
        logger.addAppender(appender);
        BucketStorage reopened;
        try {
            reopened = open();
        } finally {
            logger.detachAppender(appender);
        }
        assertThat(appender.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .anySatisfy(m -> assertThat(m).contains("migrating ops to segments: 2,000 of 2,500 ops (80%)"))
                .anySatisfy(m -> assertThat(m).contains("migrated ops to segments: 2,500 of 2,500 ops (100%)"));
        assertThat(count("SELECT max(version) FROM " + sc + ".schema_version")).isEqualTo(PostgresSchema.VERSION);
        assertThat(count("SELECT count(*) FROM pg_tables WHERE schemaname = '" + sc + "' AND tablename = 'ops_converting'"))
                .isZero();
        try (var v = reopened.reader().open()) {
            for (String b : List.of("m0[]", "m1[]", "m2[]")) {
                assertThat(v.ops(b, dev.syncline.protocol.OpId.ZERO, all, 10_000)).as(b).isEqualTo(before.get(b));
                assertThat(v.checksum(b)).isEqualTo(checksums.get(b));
            }
        }
        reopened.close();
    }

    private static long count(String sql) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Ops go to the server as a binary COPY of arrays: any text comes back as written, nulls as nulls. */
    @Test
    void opTextsOfEveryKindRoundTripThroughTheBinaryCopy() {
        List<String> texts = List.of("", "plain", "quote \" backslash \\ comma , braces {} NULL null",
                "tab\tnewline\ncr\r", "é ü ß 漢字 🙂", "x".repeat(300_000));
        BucketStorage s = open();
        List<dev.syncline.protocol.OpId> ids = new java.util.ArrayList<>();
        try (WriteTransaction tx = s.writer().begin()) {
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                ids.add(tx.put(new Placement("texts[]", t.length() > 20 ? "long" : t, "id" + i),
                        t.length() > 20 ? "" : t, "{\"v\":\"" + t + "\"}"));
            }
            tx.remove(new Placement("texts[]", "t", "gone"), "");
            tx.commit(new CommitPosition(1), true);
        }
        try (var v = s.reader().open()) {
            var ops = v.ops("texts[]", dev.syncline.protocol.OpId.ZERO, new dev.syncline.protocol.OpId(Long.MAX_VALUE), 100);
            assertThat(ops).hasSize(texts.size() + 1);
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                var put = (dev.syncline.server.storage.BucketOp.Put) ops.get(i);
                assertThat(put.opId()).isEqualTo(ids.get(i));
                assertThat(put.objectType()).isEqualTo(t.length() > 20 ? "long" : t);
                assertThat(put.subkey()).isEqualTo(t.length() > 20 ? "" : t);
                assertThat(put.dataJson()).isEqualTo("{\"v\":\"" + t + "\"}");
            }
            assertThat(ops.getLast()).isInstanceOf(dev.syncline.server.storage.BucketOp.Remove.class);
        }
        s.close();
    }

    /**
     * Reads take a bucket's segments a few at a time: paging with any limit and any range, also one
     * that falls between two ops of one segment (other buckets' ops in between), returns exactly
     * the ops in range, in order.
     */
    @Test
    void pagingThroughSegmentsReturnsExactlyTheOpsInRange() {
        BucketStorage s = open();
        List<Long> aIds = new java.util.ArrayList<>();
        for (int commit = 0; commit < 5; commit++) {
            try (WriteTransaction tx = s.writer().begin()) {
                for (int i = 0; i < 3 + commit * 1000; i++) {   // segments of 3 ops up to several full ones
                    aIds.add(tx.put(new Placement("a[]", "t", commit + "-" + i), "", "{}").value());
                    tx.put(new Placement("b[]", "t", commit + "-" + i), "", "{}");
                }
                tx.commit(new CommitPosition(commit + 1), true);
            }
        }
        var zero = dev.syncline.protocol.OpId.ZERO;
        try (var v = s.reader().open()) {
            for (int limit : new int[] {1, 7, 1000, 2048, 5000, 100_000}) {
                List<Long> paged = new java.util.ArrayList<>();
                var after = zero;
                while (true) {
                    var page = v.ops("a[]", after, new dev.syncline.protocol.OpId(Long.MAX_VALUE), limit);
                    if (page.isEmpty()) {
                        break;
                    }
                    assertThat(page.size()).isLessThanOrEqualTo(limit);
                    page.forEach(op -> paged.add(op.opId().value()));
                    after = page.getLast().opId();
                    if (limit == 1 && paged.size() > 20) {
                        break;
                    }
                }
                assertThat(paged).as("limit " + limit).isEqualTo(limit == 1 ? aIds.subList(0, 21) : aIds);
            }
            long first = aIds.get(0);   // a's first two ops, with b's first op between them
            assertThat(v.ops("a[]", new dev.syncline.protocol.OpId(first), new dev.syncline.protocol.OpId(first + 1), 10))
                    .isEmpty();
            assertThat(v.ops("a[]", new dev.syncline.protocol.OpId(first), new dev.syncline.protocol.OpId(first + 2), 10))
                    .extracting(op -> op.opId().value()).containsExactly(aIds.get(1));
            assertThat(v.ops("a[]", new dev.syncline.protocol.OpId(aIds.get(100)), new dev.syncline.protocol.OpId(aIds.get(3000)),
                    100_000)).hasSize(2900);
        }
        s.close();
    }

    /** Turns this test's (closed) storage back into a version-2 schema: one {@code ops} row per op. */
    private void storeOpsAsVersion2Did() throws Exception {
        String sc = schema(dir);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + sc + ".ops (bucket text NOT NULL, op_id bigint NOT NULL, op_type smallint NOT NULL, "
                    + "object_type text, object_id text, subkey text, data text, checksum bigint NOT NULL, "
                    + "PRIMARY KEY (bucket, op_id))");
            st.execute("INSERT INTO " + sc + ".ops SELECT s.bucket, o.* FROM " + sc + ".op_segments s, "
                    + "unnest(s.op_ids, s.op_types, s.object_types, s.object_ids, s.subkeys, s.datas, s.checksums) o");
            st.execute("DROP TABLE " + sc + ".op_segments");
            st.execute("UPDATE " + sc + ".schema_version SET version = 2");
        }
    }

    @Test
    void theFactoryOpensItFromTheStorageConfig() {
        StorageConfig config = new StorageConfig("postgresql", null, new PostgresConnectionConfig("default", db.host(),
                db.port(), db.name(), db.user(), new Secret(db.password()), SslMode.DISABLE), "from_config",
                StorageConfig.DEFAULT_MAX_READ_CONNECTIONS);
        try (BucketStorage s = StorageFactory.open(config)) {
            try (WriteTransaction tx = s.writer().begin()) {
                tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
                tx.commit(new CommitPosition(1), true);
            }
            assertThat(s.checkpoints().latest()).isPresent();
            assertThat(s.diskBytes()).isPositive();
        }
        assertThat(StorageFactory.describe(config)).startsWith("postgresql jdbc:postgresql:").endsWith("schema from_config");
    }
}
