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
    static final int VERSION = 1;

    private static final String[] V1 = {
        // One row: the op id sequence, the replication position and the announced checkpoint.
        """
        CREATE TABLE state (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          last_op_id INTEGER NOT NULL,
          commit_lsn INTEGER NOT NULL,
          checkpoint_op_id INTEGER,
          checkpoint_lsn INTEGER,
          snapshot TEXT)""",
        "INSERT INTO state (id, last_op_id, commit_lsn) VALUES (1, 0, 0)",
        // Bucket names are long and repeated on every op, so ops refer to them by a small id.
        """
        CREATE TABLE buckets (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          checksum INTEGER NOT NULL DEFAULT 0,
          op_count INTEGER NOT NULL DEFAULT 0,
          row_count INTEGER NOT NULL DEFAULT 0)""",
        // Clustered by bucket: a bucket's log is one range, and an append touches one B-tree, not a
        // table and an index. op_id is globally unique by construction (one allocator).
        """
        CREATE TABLE ops (
          bucket_id INTEGER NOT NULL,
          op_id INTEGER NOT NULL,
          op INTEGER NOT NULL,
          object_type TEXT,
          object_id TEXT,
          subkey TEXT,
          data TEXT,
          checksum INTEGER NOT NULL,
          PRIMARY KEY (bucket_id, op_id)) WITHOUT ROWID""",
        """
        CREATE TABLE source_rows (
          source_table TEXT NOT NULL,
          source_key TEXT NOT NULL,
          placements TEXT NOT NULL,
          parameters TEXT NOT NULL,
          image TEXT,
          PRIMARY KEY (source_table, source_key)) WITHOUT ROWID""",
        """
        CREATE TABLE parameter_index (
          lookup_key TEXT NOT NULL,
          source_table TEXT NOT NULL,
          source_key TEXT NOT NULL,
          values_json TEXT NOT NULL,
          PRIMARY KEY (lookup_key, source_table, source_key, values_json)) WITHOUT ROWID""",
        "PRAGMA user_version = 1",
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
        try (Statement s = c.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                for (String sql : V1) {
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
