package dev.syncline.server.storage.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Collections;

/**
 * Collects appended ops and inserts them {@value #ROWS} at a time with one multi-row INSERT: a
 * JDBC round trip per op costs more than SQLite's own work. Up to {@value #CAPACITY} ops are held
 * and written sorted by {@code (bucket_id, op_id)}, so that consecutive inserts land on the same
 * leaf pages of the clustered ops B-tree instead of jumping between buckets for every op (the
 * insert cost in SQLite was dominated by seeks and page rebalancing scattered over all touched
 * buckets). Memory stays bounded by the capacity. Safe because nothing reads ops through the
 * writer's connection before commit, which flushes.
 */
final class OpBuffer {
    static final int ROWS = 64;
    static final int CAPACITY = 4096;
    private static final String COLUMNS = "INSERT INTO ops (op_id, bucket_id, op, object_type, object_id, subkey, data, "
            + "checksum) VALUES ";
    private static final String ROW = "(?, ?, ?, ?, ?, ?, ?, ?)";

    private final PreparedStatement many;
    private final PreparedStatement one;
    private final long[] opIds = new long[CAPACITY];
    private final long[] bucketIds = new long[CAPACITY];
    private final int[] types = new int[CAPACITY];
    private final String[] objectTypes = new String[CAPACITY];
    private final String[] objectIds = new String[CAPACITY];
    private final String[] subkeys = new String[CAPACITY];
    private final String[] data = new String[CAPACITY];
    private final long[] checksums = new long[CAPACITY];
    /** Sort keys: bucket id in the high bits, buffer index in the low 16 (index order = op id order). */
    private final long[] order = new long[CAPACITY];
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
        if (++size == CAPACITY) {
            flush();
        }
    }

    void flush() throws SQLException {
        for (int i = 0; i < size; i++) {
            order[i] = (bucketIds[i] << 16) | i;
        }
        // Bucket ids are small positive integers (SQLite rowids handed out one by one), far below 2^47.
        Arrays.sort(order, 0, size);
        int i = 0;
        for (; i + ROWS <= size; i += ROWS) {
            bind(many, i, ROWS);
            many.executeUpdate();
        }
        for (; i < size; i++) {
            bind(one, i, 1);
            one.executeUpdate();
        }
        discard();
    }

    void discard() {
        Arrays.fill(objectTypes, 0, size, null);
        Arrays.fill(objectIds, 0, size, null);
        Arrays.fill(subkeys, 0, size, null);
        Arrays.fill(data, 0, size, null);
        size = 0;
    }

    private void bind(PreparedStatement s, int from, int rows) throws SQLException {
        int p = 1;
        for (int k = from; k < from + rows; k++) {
            int i = (int) (order[k] & 0xFFFF);
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
