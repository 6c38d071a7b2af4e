package dev.syncline.server.storage.postgres;

import dev.syncline.server.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * The storage schema's tables, as numbered migrations run at open. Nodes starting together
 * serialise on an advisory lock, so each migration runs once; a schema newer than this code knows
 * is refused rather than misread. Each migration's statements run in one transaction, except
 * migration 3's conversion of the stored ops, which runs in batches and resumes where it stopped;
 * the recorded version advances only once a migration is complete. docs/storage.md describes every
 * table.
 */
final class PostgresSchema {
    /** Migration i (1-based) brings the schema from version i - 1 to i. */
    private static final List<String[]> MIGRATIONS = List.<String[]>of(new String[] {
        // One row: the op-id sequence, the replication position and the announced checkpoint.
        """
        CREATE TABLE state (
          id integer PRIMARY KEY CHECK (id = 1),
          last_op_id bigint NOT NULL,
          commit_position bigint NOT NULL,
          checkpoint_op_id bigint,
          checkpoint_position bigint,
          snapshot text,
          acked_position bigint NOT NULL DEFAULT 0)""",
        "INSERT INTO state (id, last_op_id, commit_position) VALUES (1, 0, 0)",
        """
        CREATE TABLE buckets (
          name text PRIMARY KEY,
          checksum bigint NOT NULL DEFAULT 0,
          op_count bigint NOT NULL DEFAULT 0,
          row_count bigint NOT NULL DEFAULT 0)""",
        // One row per op until version 3 (op_segments).
        """
        CREATE TABLE ops (
          bucket text NOT NULL,
          op_id bigint NOT NULL,
          op_type smallint NOT NULL,
          object_type text,
          object_id text,
          subkey text,
          data text,
          checksum bigint NOT NULL,
          PRIMARY KEY (bucket, op_id))""",
        """
        CREATE TABLE source_rows (
          source_table text NOT NULL,
          source_key text NOT NULL,
          state text NOT NULL,
          image text,
          PRIMARY KEY (source_table, source_key))""",
        """
        CREATE TABLE parameter_index (
          lookup_key text NOT NULL,
          source_table text NOT NULL,
          source_key text NOT NULL,
          values_json text NOT NULL,
          PRIMARY KEY (lookup_key, source_table, source_key, values_json))""",
        """
        CREATE TABLE write_checkpoints (
          user_id text NOT NULL,
          client_id text NOT NULL,
          value bigint NOT NULL,
          position bigint NOT NULL,
          PRIMARY KEY (user_id, client_id, value))""",
    }, new String[] {
        // Which source transaction wrote which ops (SourceXid), keyed by its last op id; the newest
        // rows only (WriteTransaction.RETAINED_SOURCE_XIDS). Upgraded storage has none for older ops.
        """
        CREATE TABLE source_xids (
          last_op_id bigint PRIMARY KEY,
          first_op_id bigint NOT NULL,
          xid bigint NOT NULL)""",
    }, new String[] {
        // Ops as segments: one row per run of a bucket's consecutive ops written together, the ops'
        // fields as parallel arrays (PostgresOpSegments). One row per op made the ops table the
        // largest cost of PostgreSQL storage (P1, docs/storage.md); upgraded storage keeps its ops,
        // each as a segment of one.
        """
        CREATE TABLE IF NOT EXISTS op_segments (
          bucket text NOT NULL,
          last_op_id bigint NOT NULL,
          first_op_id bigint NOT NULL,
          op_ids bigint[] NOT NULL,
          op_types smallint[] NOT NULL,
          object_types text[] NOT NULL,
          object_ids text[] NOT NULL,
          subkeys text[] NOT NULL,
          datas text[] NOT NULL,
          checksums bigint[] NOT NULL,
          PRIMARY KEY (bucket, last_op_id))""",
        // Out of line but not compressed: pglz over every segment was the largest share of the
        // server's time for op segments (about twice the bytes on disk instead).
        """
        ALTER TABLE op_segments ALTER COLUMN op_ids SET STORAGE EXTERNAL, ALTER COLUMN op_types SET STORAGE EXTERNAL,
          ALTER COLUMN object_types SET STORAGE EXTERNAL, ALTER COLUMN object_ids SET STORAGE EXTERNAL,
          ALTER COLUMN subkeys SET STORAGE EXTERNAL, ALTER COLUMN datas SET STORAGE EXTERNAL,
          ALTER COLUMN checksums SET STORAGE EXTERNAL""",
        // Then the stored ops, in batches (convertOpsToSegments); the ops table goes when all are moved.
    }, new String[] {
        // The checkpoint of the last compaction that changed each bucket (ReadView.compactedUpTo), so
        // a node can rebuild an Electric shape's rows at an older op id. Unknown (max) by default: the
        // buckets from before this version (a constant default, so no table rewrite) and any a node
        // still running older code creates during a rolling upgrade (PostgresWriter inserts 0).
        "ALTER TABLE buckets ADD COLUMN IF NOT EXISTS compacted_up_to bigint NOT NULL DEFAULT 9223372036854775807",
    });
    static final int VERSION = MIGRATIONS.size();
    /** The migration after whose statements the stored ops are converted ({@link #convertOpsToSegments}). */
    private static final int SEGMENTS = 3;
    /** Ops moved per transaction by migration 3. */
    static final int CONVERT_BATCH_OPS = 10_000;
    private static final long PROGRESS_NANOS = 5_000_000_000L;
    private static final Logger log = LoggerFactory.getLogger(PostgresSchema.class);

    private PostgresSchema() {}

    /**
     * Brings the schema to {@link #VERSION}. Nodes serialise on a session-level advisory lock (the
     * one older versions took per transaction), waited for in steps of {@code lockWait} (a
     * server-side {@code lock_timeout}; zero: one wait) so that a long migration of another node
     * is not taken for a storage server that stopped answering.
     */
    static void migrate(Connection c, String schema, Duration lockWait) throws SQLException {
        migrate(c, schema, lockWait, CONVERT_BATCH_OPS, () -> { });
    }

    /** @param afterBatch runs after each committed batch of migration 3 (tests stop it there) */
    static void migrate(Connection c, String schema, Duration lockWait, int batchOps, Runnable afterBatch)
            throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(true);
        lock(c, schema, lockWait);
        try {
            int version = inTransaction(c, s -> {
                s.execute("CREATE SCHEMA IF NOT EXISTS " + PostgresConnections.quote(schema));
                s.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
                try (ResultSet rs = s.executeQuery("SELECT max(version) FROM schema_version")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            if (version > VERSION) {
                throw new StorageException("storage schema " + schema + " has version " + version
                        + " but this Syncline reads up to " + VERSION + "; use a newer Syncline or another schema");
            }
            for (int v = version; v < VERSION; v++) {
                int next = v + 1;
                migrationTransaction(c, schema, lockWait, s -> {
                    for (String sql : MIGRATIONS.get(next - 1)) {
                        s.execute(sql);
                    }
                    if (next == SEGMENTS) {
                        // Renamed first: an older Syncline opening the schema midway finds no ops table
                        // and fails, rather than reading (or writing) a half-converted one.
                        s.execute("DO $$ BEGIN IF to_regclass('ops') IS NOT NULL THEN ALTER TABLE ops RENAME TO "
                                + "ops_converting; END IF; END $$");
                    } else {
                        recordVersion(s, next);   // with its statements: they need not run twice
                    }
                    return null;
                });
                if (next == SEGMENTS) {
                    convertOpsToSegments(c, schema, lockWait, batchOps, afterBatch);
                    // The version advances only when every op is moved.
                    migrationTransaction(c, schema, lockWait, s -> {
                        s.execute("DROP TABLE ops_converting");
                        recordVersion(s, next);
                        return null;
                    });
                }
            }
        } finally {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_unlock(hashtext('" + lockKey(schema).replace("'", "''") + "'))");
            } catch (SQLException ignored) {
                // the connection is gone, and the session's lock with it
            }
            if (!c.isClosed()) {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    private static void recordVersion(Statement s, int version) throws SQLException {
        s.execute("DELETE FROM schema_version");
        s.execute("INSERT INTO schema_version (version) VALUES (" + version + ")");
    }

    private static String lockKey(String schema) {
        return "syncline storage " + schema;
    }

    private static void lock(Connection c, String schema, Duration lockWait) throws SQLException {
        try (Statement s = c.createStatement();
             PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_lock(hashtext(?))")) {
            lock.setString(1, lockKey(schema));
            s.execute("SET lock_timeout = " + lockWait.toMillis());
            boolean told = false;
            while (true) {
                try {
                    lock.execute();
                    break;
                } catch (SQLException e) {
                    if (!"55P03".equals(e.getSQLState())) {
                        throw e;
                    }
                    if (!told) {
                        log.info("storage schema {}: waiting for another node to finish migrating it", schema);
                        told = true;
                    }
                }
            }
            s.execute("RESET lock_timeout");
        }
    }

    /**
     * Migration 3's data: moves the stored ops from {@code ops_converting} to {@code op_segments},
     * each as a segment of one (compaction merges them later), {@code batchOps} per transaction, in
     * key order, logging progress every few seconds. Each batch deletes what it inserts, so a
     * migration stopped midway (process killed, connection lost) goes on from where it stopped the
     * next time storage opens, with bounded memory and transactions whatever the number of ops.
     */
    private static void convertOpsToSegments(Connection c, String schema, Duration lockWait, int batchOps,
                                             Runnable afterBatch) throws SQLException {
        long left = rows(c, "ops_converting");
        long done = rows(c, "op_segments");
        long total = left + done;
        if (left == 0) {
            return;
        }
        log.info("storage schema {}: migrating ops to segments: {} (version 3)", schema, progress(done, total));
        long lastLog = System.nanoTime();
        String[] after = {null};
        long[] afterId = {0};
        while (true) {
            long moved = migrationTransaction(c, schema, lockWait, s -> {
                // In key order after the last batch (the deleted rows' index entries are not walked again).
                try (PreparedStatement move = c.prepareStatement("WITH moved AS (DELETE FROM ops_converting WHERE "
                        + "(bucket, op_id) IN (SELECT bucket, op_id FROM ops_converting WHERE ?::text IS NULL OR (bucket, op_id) "
                        + "> (?, ?) ORDER BY bucket, op_id LIMIT ?) RETURNING *), "
                        + "ins AS (INSERT INTO op_segments (bucket, last_op_id, first_op_id, op_ids, op_types, object_types, "
                        + "object_ids, subkeys, datas, checksums) SELECT bucket, op_id, op_id, ARRAY[op_id], ARRAY[op_type], "
                        + "ARRAY[object_type], ARRAY[object_id], ARRAY[subkey], ARRAY[data], ARRAY[checksum] FROM moved "
                        + "RETURNING bucket, last_op_id) "
                        + "SELECT count(*) OVER (), bucket, last_op_id FROM ins ORDER BY bucket DESC, last_op_id DESC LIMIT 1")) {
                    move.setString(1, after[0]);
                    move.setString(2, after[0]);
                    move.setLong(3, afterId[0]);
                    move.setInt(4, batchOps);
                    try (ResultSet rs = move.executeQuery()) {
                        if (!rs.next()) {
                            return 0L;
                        }
                        after[0] = rs.getString(2);
                        afterId[0] = rs.getLong(3);
                        return rs.getLong(1);
                    }
                }
            });
            if (moved == 0) {
                break;
            }
            done += moved;
            afterBatch.run();
            if (System.nanoTime() - lastLog >= PROGRESS_NANOS) {
                log.info("storage schema {}: migrating ops to segments: {}", schema, progress(done, total));
                lastLog = System.nanoTime();
            }
        }
        log.info("storage schema {}: migrated ops to segments: {}", schema, progress(done, total));
    }

    private static String progress(long done, long total) {
        return String.format("%,d of %,d ops (%d%%)", done, total, total == 0 ? 100 : Math.min(100, done * 100 / total));
    }

    /**
     * The table's rows, for the progress line: counted when PostgreSQL's estimate is small, the
     * estimate itself above {@value #COUNT_UP_TO} (a count of hundreds of millions of rows could
     * outlast the socket timeout, and a percentage needs no exact total).
     */
    private static long rows(Connection c, String table) throws SQLException {
        long estimate = count(c, "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = '" + table + "'::regclass");
        return estimate > COUNT_UP_TO ? estimate : count(c, "SELECT count(*) FROM " + table);
    }

    private static final long COUNT_UP_TO = 10_000_000;

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private interface Work<T> {
        T run(Statement s) throws SQLException;
    }

    /**
     * One transaction of a migration, its table locks waited for in steps of {@code lockWait} (a
     * {@code lock_timeout} of the transaction, then the whole transaction again): a node still
     * running older code can hold a table for minutes (a compaction of a large bucket in one
     * transaction), and a single wait would outlast the socket timeout, leaving its statement
     * queued in PostgreSQL ahead of everyone else's while this node gives up.
     */
    private static <T> T migrationTransaction(Connection c, String schema, Duration lockWait, Work<T> work)
            throws SQLException {
        boolean told = false;
        while (true) {
            try {
                return inTransaction(c, s -> {
                    if (!lockWait.isZero()) {
                        s.execute("SET LOCAL lock_timeout = " + lockWait.toMillis());
                    }
                    return work.run(s);
                });
            } catch (SQLException e) {
                if (!"55P03".equals(e.getSQLState())) {
                    throw e;
                }
                if (!told) {
                    log.info("storage schema {}: migration waiting for a table another transaction holds "
                            + "(a node running older code?)", schema);
                    told = true;
                }
            }
        }
    }

    private static <T> T inTransaction(Connection c, Work<T> work) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            T result = work.run(s);
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // reporting the original failure
            }
            throw e;
        } finally {
            try {
                c.setAutoCommit(true);
            } catch (SQLException ignored) {
                // as above
            }
        }
    }
}
