package dev.syncline.server.source.postgres;

import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGProperty;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@link ReplicationStreamReader} tells PostgreSQL about the slot's position. */
class ReplicationStreamReaderIT {
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();

    // Regression: the queue counted each message's payload only. A transaction of small rows sends
    // messages of 20-40 bytes that cost about 150 on the heap each (buffer, queue node, array), so a
    // 1 MiB budget held some 40,000 of them, several MiB; a 160 MiB server (SmallHeapIT) ran out of
    // memory with 200,000 of them queued, 35 MB against a 16 MiB max_pending_bytes.
    @Test
    void theQueueCountsWhatAMessageCostsOnTheHeapNotOnlyItsPayload() throws Exception {
        try (TestDatabase db = server.createDatabase(); Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE items (id int PRIMARY KEY)");
            s.execute("CREATE PUBLICATION reader_pub FOR TABLE items");
            long created;
            try (ResultSet rs = s.executeQuery("SELECT lsn FROM pg_create_logical_replication_slot('reader_slot', 'pgoutput')")) {
                rs.next();
                created = Lsn.parse(rs.getString(1)).value();
            }
            s.execute("INSERT INTO items SELECT g FROM generate_series(1, 100000) g");   // 100,000 messages of ~20 bytes
            try (Connection replication = DriverManager.getConnection(db.jdbcUrl(), replicationProperties(db));
                 ReplicationStreamReader reader = new ReplicationStreamReader(replication, "reader_slot",
                         new PgServerVersion.PgOutputOptions(1, "reader_pub", false, false), new Lsn(created), 1 << 20)) {
                reader.start();
                // Nothing is taken from the queue: the reader fills its budget and waits.
                int queued = -1;
                for (int stable = 0; stable < 5; ) {
                    Thread.sleep(300);
                    int now = reader.queued();
                    stable = now == queued && now > 0 ? stable + 1 : 0;
                    queued = now;
                }
                int atMost = (1 << 20) / ReplicationStreamReader.MESSAGE_OVERHEAD_BYTES;
                assertThat(queued).as("messages queued within a 1 MiB budget").isPositive().isLessThanOrEqualTo(atMost);
                // Taking messages frees the budget again: the rest of the transaction follows.
                int taken = 0;
                while (taken < 100_002) {   // BEGIN, 100,000 inserts (and the relation), COMMIT
                    java.nio.ByteBuffer m = reader.next(10_000);
                    assertThat(m).as("message %d within 10 s", taken).isNotNull();
                    taken++;
                    reader.release(m);
                    if (m.get(m.position()) == 'C') {
                        break;
                    }
                }
                assertThat(taken).isGreaterThanOrEqualTo(100_002);
            }
        }
    }

    private static Properties replicationProperties(TestDatabase db) {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        return p;
    }

    // Regression: pgjdbc's automatic flush (on by default) answered the walsender's keepalives by
    // confirming the server's WAL position whenever every message read had been acknowledged, so the
    // slot moved past what storage had recorded as acknowledged; the next capture start (a take-over
    // on another node, a restart) then refused the slot with SYNC_C1105 (MultiNodeIT, case e).
    @Test
    void theSlotNeverMovesPastWhatWasAcknowledgedEvenWhileOtherWalPasses() throws Exception {
        try (TestDatabase db = server.createDatabase(); Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE published (id int PRIMARY KEY)");
            s.execute("CREATE TABLE elsewhere (id int PRIMARY KEY, body text)");   // WAL no message is sent for
            s.execute("CREATE PUBLICATION reader_pub FOR TABLE published");
            long created;
            try (ResultSet rs = s.executeQuery("SELECT lsn FROM pg_create_logical_replication_slot('reader_slot', 'pgoutput')")) {
                rs.next();
                created = Lsn.parse(rs.getString(1)).value();
            }
            try (Connection replication = DriverManager.getConnection(db.jdbcUrl(), replicationProperties(db));
                 ReplicationStreamReader reader = new ReplicationStreamReader(replication, "reader_slot",
                         new PgServerVersion.PgOutputOptions(1, "reader_pub", false, false), new Lsn(created), 1 << 20)) {
                reader.start();
                for (int i = 0; i < 20; i++) {   // nothing acknowledged: the slot must stay where it was created
                    s.execute("INSERT INTO elsewhere SELECT g, repeat('x', 100) FROM generate_series(" + i * 100
                            + ", " + (i * 100 + 99) + ") g");
                    Thread.sleep(200);
                }
                Thread.sleep(1500);   // more than one status interval (1 s) after the last keepalive
                try (ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn, pg_current_wal_lsn() FROM pg_replication_slots "
                        + "WHERE slot_name = 'reader_slot'")) {
                    rs.next();
                    assertThat(Lsn.parse(rs.getString(2)).value()).as("WAL moved on").isGreaterThan(created);
                    assertThat(Lsn.parse(rs.getString(1)).value()).as("confirmed_flush_lsn (created at %s)",
                            new Lsn(created)).isEqualTo(created);
                }
            }
        }
    }
}
