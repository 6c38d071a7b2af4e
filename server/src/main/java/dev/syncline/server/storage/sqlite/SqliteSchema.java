package dev.syncline.server.storage.sqlite;

import dev.syncline.server.storage.StorageException;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The storage file's schema, versioned with {@code PRAGMA user_version}. A newer file than this
 * code understands is refused rather than misread. docs/storage.md describes every table.
 */
final class SqliteSchema {
    static final int VERSION = 4;
    /** Version 1 stored one row per op in an {@code ops} table; its files are not converted. */
    private static final int ONE_ROW_PER_OP = 1;
    /**
     * Version 2 kept write checkpoints in a file of their own and lacked {@code state.acked_lsn};
     * version 3 adds their table here and the column (NULL, not known, for an upgraded file).
     */
    private static final int WITHOUT_WRITE_CHECKPOINTS = 2;
    /** Version 3 lacked {@code source_xids}; an upgraded file has no xids for the ops it already holds. */
    private static final int WITHOUT_SOURCE_XIDS = 3;
    /** The last position acknowledged to the source, stored in the commit that made it durable (SlotGuard). */
    private static final String ADD_ACKED_LSN = "ALTER TABLE state ADD COLUMN acked_lsn INTEGER";

    /**
     * Which source transaction wrote which ops (SourceXid): one row per transaction that wrote ops,
     * keyed by its last op id so a range of op ids is one index range; the newest rows only
     * (WriteTransaction.RETAINED_SOURCE_XIDS).
     */
    static final String CREATE_SOURCE_XIDS = """
        CREATE TABLE IF NOT EXISTS source_xids (
          last_op_id INTEGER PRIMARY KEY,
          first_op_id INTEGER NOT NULL,
          xid INTEGER NOT NULL)""";

    private static final String[] CREATE = {
        // One row: the op id sequence, the replication position and the announced checkpoint.
        """
        CREATE TABLE state (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          last_op_id INTEGER NOT NULL,
          commit_lsn INTEGER NOT NULL,
          checkpoint_op_id INTEGER,
          checkpoint_lsn INTEGER,
          snapshot TEXT)""",
        ADD_ACKED_LSN,
        // a new file knows it acknowledged nothing yet
        "INSERT INTO state (id, last_op_id, commit_lsn, acked_lsn) VALUES (1, 0, 0, 0)",
        // Bucket names are long and repeated on every op, so ops refer to them by a small id.
        """
        CREATE TABLE buckets (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          checksum INTEGER NOT NULL DEFAULT 0,
          op_count INTEGER NOT NULL DEFAULT 0,
          row_count INTEGER NOT NULL DEFAULT 0)""",
        // A bucket's log as segments: one row per run of a bucket's consecutive ops (OpSegments,
        // OpSegmentEncoder), so an append costs one row per bucket per batch rather than one per op.
        // The row id is the segment's last op id (unique: op ids are unique across buckets); the
        // index orders each bucket's segments and covers their summaries, so range sums need no blob.
        """
        CREATE TABLE op_segments (
          last_op_id INTEGER PRIMARY KEY,
          bucket_id INTEGER NOT NULL,
          first_op_id INTEGER NOT NULL,
          op_count INTEGER NOT NULL,
          checksum INTEGER NOT NULL,
          has_clear INTEGER NOT NULL,
          ops BLOB NOT NULL)""",
        """
        CREATE INDEX op_segments_by_bucket ON op_segments
          (bucket_id, last_op_id, first_op_id, op_count, checksum, has_clear)""",
        // state: the row's placements and parameter entries (SourceRowCodec); image: JSON, only for large rows.
        """
        CREATE TABLE source_rows (
          source_table TEXT NOT NULL,
          source_key TEXT NOT NULL,
          state BLOB NOT NULL,
          image TEXT,
          PRIMARY KEY (source_table, source_key)) WITHOUT ROWID""",
        """
        CREATE TABLE parameter_index (
          lookup_key TEXT NOT NULL,
          source_table TEXT NOT NULL,
          source_key TEXT NOT NULL,
          values_json TEXT NOT NULL,
          PRIMARY KEY (lookup_key, source_table, source_key, values_json)) WITHOUT ROWID""",
        // Write-checkpoint mappings (SqliteWriteCheckpointStore).
        SqliteWriteCheckpointStore.CREATE_TABLE,
        CREATE_SOURCE_XIDS,
        "PRAGMA user_version = " + VERSION,
    };

    private static final String[] FROM_2 = {
        SqliteWriteCheckpointStore.CREATE_TABLE,
        ADD_ACKED_LSN,
        CREATE_SOURCE_XIDS,
        "PRAGMA user_version = " + VERSION,
    };

    private static final String[] FROM_3 = {
        CREATE_SOURCE_XIDS,
        "PRAGMA user_version = " + VERSION,
    };

    private SqliteSchema() {}

    static void migrate(Connection c) throws SQLException {
        int version;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            version = rs.next() ? rs.getInt(1) : 0;
        }
        if (version == VERSION) {
            return;
        }
        if (version > VERSION) {
            throw new StorageException("storage file has schema version " + version + " but this Syncline reads up to "
                    + VERSION + "; use a newer Syncline or a fresh storage path");
        }
        if (version == ONE_ROW_PER_OP) {
            throw new StorageException("storage file has schema version 1 (one row per op), which this Syncline no "
                    + "longer reads; stop the server, delete the storage file (with its -wal and -shm files) and "
                    + "the replication slot — `syncline serve --resnapshot` does both — and start again: the server "
                    + "copies the data from PostgreSQL again (docs/storage.md, schema)");
        }
        run(c, switch (version) {
            case WITHOUT_WRITE_CHECKPOINTS -> FROM_2;
            case WITHOUT_SOURCE_XIDS -> FROM_3;
            default -> CREATE;
        });
    }

    private static void run(Connection c, String[] statements) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                for (String sql : statements) {
                    s.execute(sql);
                }
                s.execute("COMMIT");
            } catch (SQLException e) {
                s.execute("ROLLBACK");
                throw e;
            }
        }
    }
}
