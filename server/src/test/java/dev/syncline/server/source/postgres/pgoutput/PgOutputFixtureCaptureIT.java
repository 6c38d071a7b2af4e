package dev.syncline.server.source.postgres.pgoutput;

import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Produces every pgoutput message type on a real PostgreSQL and checks the live bytes against the
 * checked-in fixtures under {@code src/test/resources/pgoutput/} that {@link PgOutputDecoderTest}
 * decodes. With {@code -Dsyncline.captureFixtures=true} it rewrites those fixtures instead; do that
 * only when the workload below changes, and review the diff.
 */
class PgOutputFixtureCaptureIT {
    static final Path FIXTURE_DIR = Path.of("src/test/resources/pgoutput");
    static final boolean CAPTURE = Boolean.getBoolean("syncline.captureFixtures");

    static final String FORMAT_NOTE = "one message per line: <decoded kind> <hex of the XLogData payload>; "
            + "regenerate with -Dsyncline.captureFixtures=true";

    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();

    @Test
    void protocolV1ChangesMatchFixture() throws Exception {
        try (TestDatabase db = server.createDatabase()) {
            db.execute(
                    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
                    "CREATE TABLE items (id int PRIMARY KEY, name text, mood mood, note text)",
                    // EXTERNAL: stored out of line uncompressed, so the big value below is TOASTed for sure
                    "ALTER TABLE items ALTER COLUMN note SET STORAGE EXTERNAL",
                    "CREATE TABLE audit (id int PRIMARY KEY, body text)",
                    "ALTER TABLE audit REPLICA IDENTITY FULL",
                    "CREATE TABLE parent (id int PRIMARY KEY)",
                    "CREATE TABLE child (id serial PRIMARY KEY, parent_id int REFERENCES parent (id))",
                    "CREATE PUBLICATION fx_pub FOR ALL TABLES",
                    "SELECT pg_create_logical_replication_slot('fx_v1', 'pgoutput')",
                    // origins are cluster-wide: tolerate one left behind on an external test server
                    "SELECT pg_replication_origin_create('fx_origin') WHERE NOT EXISTS "
                            + "(SELECT FROM pg_replication_origin WHERE roname = 'fx_origin')");

            db.execute("INSERT INTO items VALUES (1, 'apple', 'happy', NULL), (2, 'pear', NULL, 'x')");
            db.execute("UPDATE items SET name = 'green apple' WHERE id = 1");
            db.execute("UPDATE items SET id = 10 WHERE id = 1");
            db.execute("DELETE FROM items WHERE id = 2");
            transaction(db,
                    "INSERT INTO audit VALUES (1, 'a')",
                    "UPDATE audit SET body = 'b' WHERE id = 1",
                    "DELETE FROM audit WHERE id = 1");
            db.execute("INSERT INTO items VALUES (3, 'big', 'ok', "
                    + "(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 400)))");
            db.execute("UPDATE items SET name = 'still big' WHERE id = 3");
            transaction(db,
                    "SELECT pg_logical_emit_message(true, 'syncline', 'hello from a transaction')",
                    "INSERT INTO items VALUES (4, 'plum', 'sad', NULL)");
            db.execute("INSERT INTO parent VALUES (1)", "INSERT INTO child (parent_id) VALUES (1)");
            db.execute("TRUNCATE parent, child RESTART IDENTITY CASCADE");
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("SELECT pg_replication_origin_session_setup('fx_origin')");
                c.setAutoCommit(false);
                s.execute("SELECT pg_replication_origin_xact_setup('0/ABCDEF', now())");
                s.execute("INSERT INTO items VALUES (5, 'from elsewhere', NULL, NULL)");
                c.commit();
                c.setAutoCommit(true);
                s.execute("SELECT pg_replication_origin_session_reset()");
                s.execute("SELECT pg_replication_origin_drop('fx_origin')");
            }
            PgOutputCapture.emitSentinel(db);

            List<PgOutputFixtureFile.Entry> live = PgOutputCapture.read(db, "fx_v1",
                    Map.of("proto_version", "1", "publication_names", "fx_pub", "messages", "true",
                            "origin", "any"),
                    Map.of());
            checkOrCapture("v1-changes.hex", live, List.of(
                    "pgoutput proto_version 1, messages true, origin any; PostgreSQL " + serverVersion(db),
                    "workload: PgOutputFixtureCaptureIT.protocolV1ChangesMatchFixture"));
        }
    }

    @Test
    void protocolV2StreamingMatchesFixture() throws Exception {
        try (TestDatabase db = server.createDatabase()) {
            db.execute(
                    "CREATE TABLE bulk (id int PRIMARY KEY)",
                    "CREATE PUBLICATION fx_pub FOR TABLE bulk",
                    "SELECT pg_create_logical_replication_slot('fx_v2', 'pgoutput')");
            // 800 small rows exceed logical_decoding_work_mem=64kB (the minimum), so each
            // transaction is streamed while still in progress.
            transaction(db,
                    "SELECT pg_logical_emit_message(true, 'syncline', 'inside a stream')",
                    "INSERT INTO bulk SELECT g FROM generate_series(1, 800) g");
            transaction(db,
                    "INSERT INTO bulk VALUES (1001)",
                    "SAVEPOINT s",
                    "INSERT INTO bulk SELECT g FROM generate_series(2001, 2800) g",
                    "ROLLBACK TO SAVEPOINT s",
                    "INSERT INTO bulk VALUES (1002)");
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                s.execute("INSERT INTO bulk SELECT g FROM generate_series(3001, 3800) g");
                c.rollback();
            }
            db.execute("INSERT INTO bulk VALUES (5000)");
            PgOutputCapture.emitSentinel(db);

            List<PgOutputFixtureFile.Entry> live = PgOutputCapture.read(db, "fx_v2",
                    Map.of("proto_version", "2", "publication_names", "fx_pub", "messages", "true",
                            "streaming", "on"),
                    Map.of("logical_decoding_work_mem", "64kB"));
            checkOrCapture("v2-streaming.hex", live, List.of(
                    "pgoutput proto_version 2, messages true, streaming on, logical_decoding_work_mem 64kB; PostgreSQL "
                            + serverVersion(db),
                    "workload: PgOutputFixtureCaptureIT.protocolV2StreamingMatchesFixture"));
        }
    }

    private static void checkOrCapture(String name, List<PgOutputFixtureFile.Entry> live, List<String> comments) {
        if (CAPTURE) {
            List<String> header = new java.util.ArrayList<>(comments);
            header.add(FORMAT_NOTE);
            new PgOutputFixtureFile(header, live).write(FIXTURE_DIR.resolve(name));
            return;
        }
        List<String> liveKinds = live.stream().map(PgOutputFixtureFile.Entry::kind).toList();
        PgOutputFixtureFile fixture = PgOutputFixtureFile.load(name);
        String capturedOn = fixture.comments().get(0).replaceAll(".*PostgreSQL (\\d+)\\..*", "$1");
        String runningOn = comments.get(0).replaceAll(".*PostgreSQL (\\d+)\\..*", "$1");
        if (name.startsWith("v2-") && !capturedOn.equals(runningOn)) {
            // Where in-progress streaming splits transactions depends on each major version's memory
            // accounting; on another version only the message kinds must be the same.
            assertThat(new java.util.TreeSet<>(liveKinds)).as("message kinds on PostgreSQL %s vs. %s captured on %s",
                    runningOn, name, capturedOn).isEqualTo(new java.util.TreeSet<>(fixture.kinds()));
            return;
        }
        assertThat(liveKinds).as("message kinds captured now vs. checked-in %s", name).isEqualTo(fixture.kinds());
    }

    private static void transaction(TestDatabase db, String... sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String statement : sql) {
                s.execute(statement);
            }
            c.commit();
        }
    }

    private static String serverVersion(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             var rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
