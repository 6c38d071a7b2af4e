package dev.syncline.server.source.postgres.pgoutput;

import dev.syncline.server.testing.TestDatabase;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.fluent.logical.ChainedLogicalStreamBuilder;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Reads a logical slot with pgjdbc's replication API until the non-transactional sentinel message
 * {@link #SENTINEL_PREFIX} arrives, and returns every message's raw bytes. Sentinels mark the end
 * because non-transactional messages are sent as soon as they are decoded, after everything before
 * them in the WAL.
 */
final class PgOutputCapture {
    static final String SENTINEL_PREFIX = "syncline-fixture-end";

    private PgOutputCapture() {}

    /** Emits the sentinel; call after the workload. */
    static void emitSentinel(TestDatabase db) {
        db.execute("SELECT pg_logical_emit_message(false, '" + SENTINEL_PREFIX + "', 'end')");
    }

    /**
     * @param sessionGucs walsender settings passed as startup options (e.g. logical_decoding_work_mem),
     *                    because the slot is decoded in the walsender's session, not the workload's.
     */
    static List<PgOutputFixtureFile.Entry> read(TestDatabase db, String slot, Map<String, String> slotOptions,
                                                Map<String, String> sessionGucs) throws Exception {
        Properties props = new Properties();
        PGProperty.USER.set(props, db.user());
        PGProperty.PASSWORD.set(props, db.password());
        PGProperty.REPLICATION.set(props, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
        PGProperty.PREFER_QUERY_MODE.set(props, "simple");
        StringBuilder options = new StringBuilder();
        sessionGucs.forEach((k, v) -> options.append("-c ").append(k).append('=').append(v).append(' '));
        PGProperty.OPTIONS.set(props, options.toString().strip());

        List<PgOutputFixtureFile.Entry> captured = new ArrayList<>();
        PgOutputDecoder decoder = new PgOutputDecoder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), props)) {
            ChainedLogicalStreamBuilder builder = c.unwrap(PGConnection.class).getReplicationAPI()
                    .replicationStream().logical().withSlotName(slot).withStatusInterval(1, TimeUnit.SECONDS);
            slotOptions.forEach(builder::withSlotOption);
            try (PGReplicationStream stream = builder.start()) {
                while (true) {
                    ByteBuffer buffer = stream.readPending();
                    if (buffer == null) {
                        if (System.nanoTime() > deadline) {
                            throw new AssertionError("no sentinel within 60 s; captured " + captured.size());
                        }
                        TimeUnit.MILLISECONDS.sleep(10);
                        continue;
                    }
                    byte[] bytes = new byte[buffer.remaining()];
                    buffer.get(bytes);
                    PgOutputMessage message = decoder.decode(ByteBuffer.wrap(bytes));
                    captured.add(new PgOutputFixtureFile.Entry(message.getClass().getSimpleName(), bytes));
                    if (message instanceof PgOutputMessage.Message m && !m.transactional()
                            && m.prefix().equals(SENTINEL_PREFIX)) {
                        return captured;
                    }
                }
            }
        }
    }
}
