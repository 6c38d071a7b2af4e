package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.syncline.server.source.postgres.CaptureTestSupport.awaitConverged;
import static dev.syncline.server.source.postgres.CaptureTestSupport.capture;
import static dev.syncline.server.source.postgres.CaptureTestSupport.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChangeCaptureIT {
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    TestDatabase db;
    final List<PostgresChangeCapture> captures = new ArrayList<>();

    @BeforeEach
    void createDatabase() { db = server.createDatabase(); }

    @AfterEach
    void dropDatabase() {
        captures.forEach(PostgresChangeCapture::close);
        db.close();
    }

    private PostgresChangeCapture started(PgSourceSettings settings, ReplicaSink sink) {
        PostgresChangeCapture capture = capture(settings, sink);
        captures.add(capture);
        capture.start();
        return capture;
    }

    @Test
    void snapshotThenStreamingReproducesTheSourceAcrossTables() {
        db.execute("CREATE TABLE lists (id bigint PRIMARY KEY, name text, owner text)",
                "CREATE TABLE todos (id text PRIMARY KEY, list_id bigint, title text, done boolean)",
                "CREATE TABLE tags (list_id bigint, tag text, weight double precision, PRIMARY KEY (list_id, tag))",
                "INSERT INTO lists SELECT g, 'list ' || g, 'user' || (g % 7) FROM generate_series(1, 2500) g",
                "INSERT INTO todos SELECT 't' || g, g % 2500 + 1, 'todo ' || g, g % 3 = 0 FROM generate_series(1, 3000) g",
                "INSERT INTO tags SELECT g % 100, 'tag' || g, g / 7.0 FROM generate_series(1, 1500) g");
        ReplicaSink sink = new ReplicaSink();
        started(settings(db, "lists", "todos", "tags").withSnapshotChunkRows(1000), sink);
        assertThat(sink.chunks.get()).as("chunks stored for 7000 rows at 1000 per chunk").isGreaterThanOrEqualTo(7);
        awaitConverged(db, sink, "lists", "todos", "tags");

        db.execute("INSERT INTO lists VALUES (5000, 'new', 'alice')",
                "UPDATE lists SET name = 'renamed' WHERE id % 10 = 0",
                "UPDATE lists SET id = id + 100000 WHERE id BETWEEN 1 AND 5",        // primary-key change
                "DELETE FROM todos WHERE list_id % 5 = 0",
                "BEGIN; INSERT INTO todos VALUES ('tx', 5000, 'in tx', false); "
                        + "UPDATE tags SET weight = -1 WHERE list_id = 3; DELETE FROM lists WHERE id = 7; COMMIT",
                "TRUNCATE tags",
                "INSERT INTO tags VALUES (1, 'after-truncate', 0.5)",
                "UPDATE todos SET done = NOT done WHERE id LIKE 't1%'");
        awaitConverged(db, sink, "lists", "todos", "tags");
        assertThat(sink.row(TableName.parse("lists"), List.of(SqlValue.of(100001L)))).isNotNull();
        assertThat(sink.row(TableName.parse("lists"), List.of(SqlValue.of(1L)))).isNull();
    }

    @Test
    void toastedValueSurvivesAnUpdateOfAnotherColumn() {
        db.execute("CREATE TABLE docs (id int PRIMARY KEY, title text, body text)",
                "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL");
        String big1 = randomText(100_000, 1);
        String big2 = randomText(100_000, 2);
        String big3 = randomText(100_000, 3);
        db.execute("INSERT INTO docs VALUES (1, 'copied', '" + big1 + "')");
        ReplicaSink sink = new ReplicaSink();
        started(settings(db, "docs"), sink);
        db.execute("INSERT INTO docs VALUES (2, 'streamed', '" + big2 + "')",
                "UPDATE docs SET title = 'copied, then updated' WHERE id = 1",
                "UPDATE docs SET title = 'streamed, then updated' WHERE id = 2",
                "BEGIN; INSERT INTO docs VALUES (3, 'same tx', '" + big3 + "'); "
                        + "UPDATE docs SET title = 'same tx, updated' WHERE id = 3; COMMIT");
        awaitConverged(db, sink, "docs");
        TableName docs = TableName.parse("docs");
        assertThat(sink.row(docs, List.of(SqlValue.of(1L))).get("body")).isEqualTo(SqlValue.of(big1));
        assertThat(sink.row(docs, List.of(SqlValue.of(2L))).get("body")).isEqualTo(SqlValue.of(big2));
        assertThat(sink.row(docs, List.of(SqlValue.of(3L))).get("title")).isEqualTo(SqlValue.of("same tx, updated"));
        assertThat(sink.row(docs, List.of(SqlValue.of(3L))).get("body")).isEqualTo(SqlValue.of(big3));
    }

    @Test
    void primaryKeyChangeKeepsAnUnchangedToastedValue() {
        // REPLICA IDENTITY DEFAULT: the UPDATE carries only the old key ('K') and marks the body
        // unchanged ('u'), so its value must come from the image stored under the old key.
        db.execute("CREATE TABLE docs (id text PRIMARY KEY, title text, body text)",
                "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL");
        String copied = randomText(10_000, 4);
        String streamed = randomText(10_000, 5);
        String replaced = randomText(10_000, 6);
        db.execute("INSERT INTO docs VALUES ('old', 'copied', '" + copied + "')",
                "INSERT INTO docs VALUES ('taken', 'deleted below', '" + replaced + "')");
        ReplicaSink sink = new ReplicaSink();
        started(settings(db, "docs"), sink);
        db.execute("INSERT INTO docs VALUES ('old2', 'streamed', '" + streamed + "')");
        awaitConverged(db, sink, "docs");
        db.execute("UPDATE docs SET id = 'new' WHERE id = 'old'",
                // the new key's previous row is still stored while this transaction is assembled:
                // its body must not be taken for the moved row's
                "BEGIN; DELETE FROM docs WHERE id = 'taken'; UPDATE docs SET id = 'taken' WHERE id = 'old2'; COMMIT");
        awaitConverged(db, sink, "docs");
        TableName docs = TableName.parse("docs");
        assertThat(sink.row(docs, List.of(SqlValue.of("new"))).get("body")).isEqualTo(SqlValue.of(copied));
        assertThat(sink.row(docs, List.of(SqlValue.of("old")))).isNull();
        assertThat(sink.row(docs, List.of(SqlValue.of("taken"))).get("body")).isEqualTo(SqlValue.of(streamed));
        assertThat(sink.row(docs, List.of(SqlValue.of("old2")))).isNull();
    }

    @Test
    void replicaIdentityFullAndNoOpUpdateThenDelete() {
        db.execute("CREATE TABLE items (id int PRIMARY KEY, v text)",
                "ALTER TABLE items REPLICA IDENTITY FULL",
                "INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 50) g");
        ReplicaSink sink = new ReplicaSink();
        started(settings(db, "items"), sink);
        db.execute("UPDATE items SET v = v WHERE id = 1",             // no-op update
                "DELETE FROM items WHERE id = 1",
                "UPDATE items SET id = 1000 WHERE id = 2",           // key change under FULL
                "UPDATE items SET v = 'changed' WHERE id = 3");
        awaitConverged(db, sink, "items");
    }

    @Test
    void restartMidSnapshotResumesWithoutGapsOrDuplicates() {
        db.execute("CREATE TABLE big (id int PRIMARY KEY, v text)",
                "CREATE TABLE small (id int PRIMARY KEY, v text)",
                "INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 5000) g",
                "INSERT INTO small SELECT g, 's' || g FROM generate_series(1, 10) g");
        ReplicaSink sink = new ReplicaSink();
        sink.failAfterChunks = 3;
        PgSourceSettings settings = settings(db, "big", "small").withSnapshotChunkRows(500);
        assertThatThrownBy(() -> started(settings, sink)).hasMessageContaining("simulated crash");
        assertThat(sink.loadState().snapshot().table(TableName.parse("big")).rowsCopied()).isEqualTo(1500);

        // Changes while the server is down: in the copied range, in the range still to copy, and new rows.
        db.execute("UPDATE big SET v = 'changed' WHERE id IN (10, 4000)",
                "DELETE FROM big WHERE id IN (20, 4500)",
                "UPDATE big SET id = 9000 WHERE id = 30",
                "UPDATE big SET id = 20 WHERE id = 4999",
                "INSERT INTO big VALUES (6000, 'new')",
                "INSERT INTO small VALUES (11, 'new')");
        sink.failAfterChunks = -1;
        started(settings, sink);   // ReplicaSink fails the test if a snapshot row arrives twice
        db.execute("UPDATE big SET v = 'after restart' WHERE id % 100 = 0");
        awaitConverged(db, sink, "big", "small");
    }

    @Test
    void snapshotChunksEndAtTheirByteBudgetBeforeTheirRowCountAndEveryRowArrives() {
        // 3 MB rows against a 7 MB chunk budget: three rows a chunk (the third passes it), far below 1000 rows.
        db.execute("CREATE TABLE blobs (id int PRIMARY KEY, body text)",
                "INSERT INTO blobs SELECT g, repeat(chr(97 + g % 26), 3000000) FROM generate_series(1, 10) g");
        ReplicaSink sink = new ReplicaSink();
        started(settings(db, "blobs").withSnapshotChunkRows(1000).withSnapshotChunkBytes(7L << 20), sink);

        awaitConverged(db, sink, "blobs");
        assertThat(sink.rows(TableName.parse("blobs"))).hasSize(10);
        assertThat(sink.chunks.get()).as("chunks of 3, 3, 3 and 1 rows").isEqualTo(4);
        assertThat(sink.loadState().snapshot().table(TableName.parse("blobs")).rowsCopied()).isEqualTo(10);
    }

    @Test
    void consumerCrashingBeforeAckReceivesThoseTransactionsAgainAndNothingElse() {
        db.execute("CREATE TABLE counters (id int PRIMARY KEY, n int)", "INSERT INTO counters VALUES (1, 0)");
        ReplicaSink sink = new ReplicaSink();
        PgSourceSettings settings = settings(db, "counters");
        PostgresChangeCapture first = started(settings, sink);
        db.execute("UPDATE counters SET n = 1");
        Eventually.await("first transaction applied", () -> sink.appliedCommits().size() == 1);

        sink.crashBeforeAck = true;
        db.execute("UPDATE counters SET n = 2", "INSERT INTO counters VALUES (2, 0)");
        Eventually.await("two transactions received but not stored", () -> sink.droppedCommits().size() == 2);
        first.close();

        sink.crashBeforeAck = false;
        started(settings, sink);
        Eventually.await("lost transactions received again", () -> sink.appliedCommits().size() == 3);
        List<Lsn> redelivered = sink.appliedCommits().subList(1, 3).stream()
                .map(SourceTransaction.Commit::commitLsn).toList();
        assertThat(redelivered).containsExactlyElementsOf(
                sink.droppedCommits().stream().map(SourceTransaction.Commit::commitLsn).toList());
        db.execute("UPDATE counters SET n = 3 WHERE id = 2");
        awaitConverged(db, sink, "counters");
        assertThat(sink.appliedCommits()).hasSize(4);
    }

    @Test
    void writesOnlyToAnUnpublishedTableStillAdvanceTheSlot() throws SQLException {
        db.execute("CREATE TABLE published (id int PRIMARY KEY)", "CREATE TABLE unpublished (id int PRIMARY KEY)");
        ReplicaSink sink = new ReplicaSink();
        started(settings(db, "published"), sink);
        db.execute("INSERT INTO unpublished SELECT generate_series(1, 1000)");
        Lsn target = currentWalLsn();
        Eventually.await("confirmed_flush_lsn passes " + target, () -> confirmedFlush().compareTo(target) >= 0);
        assertThat(sink.messages()).anyMatch(m -> m.prefix().equals(PgSourceSettings.HEARTBEAT_PREFIX));
    }

    @Test
    void droppedSlotIsReportedWithAClearError() {
        db.execute("CREATE TABLE t (id int PRIMARY KEY)");
        ReplicaSink sink = new ReplicaSink();
        PgSourceSettings settings = settings(db, "t").withSlotName("syncline_dropped");
        started(settings, sink).close();
        Eventually.await("slot released and dropped", () -> {
            try {
                db.execute("SELECT pg_drop_replication_slot('syncline_dropped')");
                return true;
            } catch (IllegalStateException stillActive) {
                return false;
            }
        });
        assertThatThrownBy(() -> started(settings, sink))
                .isInstanceOfSatisfying(CaptureException.class, e -> assertThat(e.error()).isEqualTo(CaptureError.SLOT_MISSING))
                .hasMessageContaining("syncline_dropped")
                .hasMessageContaining("SYNC_C1102");
    }

    /**
     * Rows stored before a column change would keep their old shape, and a re-created table leaves
     * the publication: capture stops with a code (the server then copies everything again into a new
     * generation), noticed by the heartbeat at once, not at the table's next change.
     */
    @Test
    void aColumnChangeOrARecreatedTableWhileStreamingStopsCaptureWithItsCode() throws Exception {
        db.execute("CREATE TABLE notes (id int PRIMARY KEY, a text, b text)",
                "INSERT INTO notes VALUES (1, 'a1', 'b1')");
        ReplicaSink sink = new ReplicaSink();
        PgSourceSettings settings = settings(db, "notes");
        PostgresChangeCapture capture = started(settings, sink);
        db.execute("ALTER TABLE notes ADD COLUMN c int DEFAULT 7");
        assertThatThrownBy(() -> capture.completion().get(60, java.util.concurrent.TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(CaptureException.class,
                        e -> assertThat(e.error()).isEqualTo(CaptureError.TABLE_RESHAPED))
                .hasMessageContaining("public.notes").hasMessageContaining("[id, a, b] → [id, a, b, c]");
        capture.close();

        PostgresChangeCapture again = started(settings, sink);   // the new shape is the shape it starts with
        db.execute("DROP TABLE notes", "CREATE TABLE notes (id int PRIMARY KEY, a text)");
        assertThatThrownBy(() -> again.completion().get(60, java.util.concurrent.TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(CaptureException.class,
                        e -> assertThat(e.error()).isEqualTo(CaptureError.TABLE_RECREATED))
                .hasMessageContaining("public.notes");
        again.close();
        assertThatThrownBy(() -> started(settings, sink))   // and at start, against the stored snapshot
                .isInstanceOfSatisfying(CaptureException.class,
                        e -> assertThat(e.error()).isEqualTo(CaptureError.TABLE_RECREATED))
                .hasMessageContaining("public.notes");
    }

    @Test
    void missingTableAndTableWithoutPrimaryKeyFailClearly() {
        db.execute("CREATE TABLE nokey (v text)");
        assertThatThrownBy(() -> started(settings(db, "absent"), new ReplicaSink()))
                .hasMessageContaining("SYNC_C1201").hasMessageContaining("public.absent");
        assertThatThrownBy(() -> started(settings(db, "nokey"), new ReplicaSink()))
                .hasMessageContaining("SYNC_C1202").hasMessageContaining("public.nokey");
    }

    private Lsn currentWalLsn() throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    private Lsn confirmedFlush() {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                     + "WHERE slot_name = 'syncline' AND database = current_database()")) {
            return rs.next() && rs.getString(1) != null ? Lsn.parse(rs.getString(1)) : Lsn.ZERO;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static String randomText(int length, long seed) {
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(length);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
