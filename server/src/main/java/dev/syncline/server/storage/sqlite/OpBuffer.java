package dev.syncline.server.storage.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;

/**
 * Collects appended ops and inserts them {@value #ROWS} at a time with one multi-row INSERT: a
 * JDBC round trip per op costs more than SQLite's own work. Safe because nothing reads ops through
 * the writer's connection before commit, which flushes.
 */
final class OpBuffer {
    static final int ROWS = 64;
    private static final String COLUMNS = "INSERT INTO ops (op_id, bucket_id, op, object_type, object_id, subkey, data, "
            + "checksum) VALUES ";
    private static final String ROW = "(?, ?, ?, ?, ?, ?, ?, ?)";

    private final PreparedStatement many;
    private final PreparedStatement one;
    private final long[] opIds = new long[ROWS];
    private final long[] bucketIds = new long[ROWS];
    private final int[] types = new int[ROWS];
    private final String[] objectTypes = new String[ROWS];
    private final String[] objectIds = new String[ROWS];
    private final String[] subkeys = new String[ROWS];
    private final String[] data = new String[ROWS];
    private final long[] checksums = new long[ROWS];
    private int size;

    OpBuffer(Connection c) throws SQLException {
        many = c.prepareStatement(COLUMNS + String.join(", ", Collections.nCopies(ROWS, ROW)));
        one = c.prepareStatement(COLUMNS + ROW);
    }

    void add(long opId, long bucketId, int type, String objectType, String objectId, String subkey, String json,
             long checksum) throws SQLException {
        opIds[size] = opId;
        bucketIds[size] = bucketId;
        types[size] = type;
        objectTypes[size] = objectType;
        objectIds[size] = objectId;
        subkeys[size] = subkey;
        data[size] = json;
        checksums[size] = checksum;
        if (++size == ROWS) {
            bind(many, 0, ROWS);
            many.executeUpdate();
            size = 0;
        }
    }

    void flush() throws SQLException {
        for (int i = 0; i < size; i++) {
            bind(one, i, 1);
            one.executeUpdate();
        }
        size = 0;
    }

    void discard() {
        size = 0;
    }

    private void bind(PreparedStatement s, int from, int rows) throws SQLException {
        int p = 1;
        for (int i = from; i < from + rows; i++) {
            s.setLong(p++, opIds[i]);
            s.setLong(p++, bucketIds[i]);
            s.setInt(p++, types[i]);
            s.setString(p++, objectTypes[i]);
            s.setString(p++, objectIds[i]);
            s.setString(p++, subkeys[i]);
            s.setString(p++, data[i]);
            s.setLong(p++, checksums[i]);
        }
    }
}
