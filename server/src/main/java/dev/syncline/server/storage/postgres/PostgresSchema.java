package dev.syncline.server.storage.postgres;

import dev.syncline.server.storage.StorageException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The storage schema's tables, as numbered migrations run at open. Nodes starting together
 * serialise on an advisory lock, so each migration runs once; a schema newer than this code knows
 * is refused rather than misread. docs/storage.md describes every table.
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
        CREATE TABLE op_segments (
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
        """
        INSERT INTO op_segments (bucket, last_op_id, first_op_id, op_ids, op_types, object_types, object_ids, subkeys,
          datas, checksums)
        SELECT bucket, op_id, op_id, ARRAY[op_id], ARRAY[op_type], ARRAY[object_type], ARRAY[object_id], ARRAY[subkey],
          ARRAY[data], ARRAY[checksum] FROM ops""",
        "DROP TABLE ops",
    }, new String[] {
        // The checkpoint of the last compaction that changed each bucket (ReadView.compactedUpTo), so
        // a node can rebuild an Electric shape's rows at an older op id. Buckets compacted before this
        // version are unknown (max) until their next compaction.
        "ALTER TABLE buckets ADD COLUMN IF NOT EXISTS compacted_up_to bigint NOT NULL DEFAULT 0",
        "UPDATE buckets SET compacted_up_to = 9223372036854775807",
    });
    static final int VERSION = MIGRATIONS.size();

    private PostgresSchema() {}

    static void migrate(Connection c, String schema) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                lock.setString(1, "syncline storage " + schema);
                lock.execute();
            }
            s.execute("CREATE SCHEMA IF NOT EXISTS " + PostgresConnections.quote(schema));
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
            int version;
            try (ResultSet rs = s.executeQuery("SELECT max(version) FROM schema_version")) {
                rs.next();
                version = rs.getInt(1);
            }
            if (version > VERSION) {
                throw new StorageException("storage schema " + schema + " has version " + version
                        + " but this Syncline reads up to " + VERSION + "; use a newer Syncline or another schema");
            }
            for (int v = version; v < VERSION; v++) {
                for (String sql : MIGRATIONS.get(v)) {
                    s.execute(sql);
                }
                s.execute("DELETE FROM schema_version");
                s.execute("INSERT INTO schema_version (version) VALUES (" + (v + 1) + ")");
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }
}
