package dev.syncline.server.storage.sqlite;

import dev.syncline.server.storage.RowImage;
import dev.syncline.server.storage.SourceRowId;
import dev.syncline.server.storage.StoredSourceRow;
import dev.syncline.server.storage.StoredValues;
import dev.syncline.server.storage.TableId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Write-behind for source-row state: the last few hundred saved or deleted rows stay in memory
 * (so reads of them need no SQL) and go to SQLite in multi-row statements. Reads must ask
 * {@link #lookup} first; anything that queries the table directly must {@link #flush} first.
 * Bounded in rows and in bytes: rows keep their image (for unchanged TOAST values), so 512 rows
 * of 4 MB would be 2 GB of heap.
 */
final class SourceRowBuffer {
    private static final int ROWS = 64;
    private static final int MAX_PENDING = 512;
    /** Estimated image bytes held before a flush ({@link RowImage#estimatedBytes()}). */
    static final long MAX_PENDING_BYTES = 8L << 20;
    private static final String UPSERT = "INSERT OR REPLACE INTO source_rows (source_table, source_key, state, image) "
            + "VALUES ";
    private static final String ROW = "(?, ?, ?, ?)";

    private final PreparedStatement many;
    private final PreparedStatement one;
    private final PreparedStatement deleteMany;
    private final PreparedStatement delete;
    /** A null value is a deleted row. */
    private final Map<SourceRowId, StoredSourceRow> pending = new LinkedHashMap<>();
    private long pendingBytes;

    SourceRowBuffer(Connection c) throws SQLException {
        many = c.prepareStatement(UPSERT + String.join(", ", Collections.nCopies(ROWS, ROW)));
        one = c.prepareStatement(UPSERT + ROW);
        // Grouped by table rather than (table, key) row values, which SQLite answers with a full scan.
        deleteMany = c.prepareStatement("DELETE FROM source_rows WHERE source_table = ? AND source_key IN ("
                + String.join(", ", Collections.nCopies(ROWS, "?")) + ")");
        delete = c.prepareStatement("DELETE FROM source_rows WHERE source_table = ? AND source_key = ?");
    }

    /** Null if the row has no pending write; otherwise its pending state (empty when deleted). */
    Optional<StoredSourceRow> lookup(SourceRowId id) {
        if (!pending.containsKey(id)) {
            return null;
        }
        return Optional.ofNullable(pending.get(id));
    }

    void save(SourceRowId id, StoredSourceRow row) throws SQLException {
        put(id, row);
    }

    void delete(SourceRowId id) throws SQLException {
        put(id, null);
    }

    private void put(SourceRowId id, StoredSourceRow row) throws SQLException {
        pendingBytes += bytes(row) - bytes(pending.put(id, row));
        if (pending.size() >= MAX_PENDING || pendingBytes >= MAX_PENDING_BYTES) {
            flush();
        }
    }

    private static long bytes(StoredSourceRow row) {
        return row == null || row.image() == null ? 0 : row.image().estimatedBytes();
    }

    void flush() throws SQLException {
        List<Map.Entry<SourceRowId, StoredSourceRow>> upserts = new ArrayList<>(pending.size());
        Map<TableId, List<String>> deletes = new HashMap<>();
        for (Map.Entry<SourceRowId, StoredSourceRow> e : pending.entrySet()) {
            if (e.getValue() == null) {
                deletes.computeIfAbsent(e.getKey().table(), t -> new ArrayList<>()).add(e.getKey().keyText());
            } else {
                upserts.add(e);
            }
        }
        for (Map.Entry<TableId, List<String>> e : deletes.entrySet()) {
            delete(e.getKey().toString(), e.getValue());
        }
        int i = 0;
        for (; i + ROWS <= upserts.size(); i += ROWS) {
            int p = 1;
            for (int j = i; j < i + ROWS; j++) {
                p = bind(many, p, upserts.get(j));
            }
            many.executeUpdate();
        }
        for (; i < upserts.size(); i++) {
            bind(one, 1, upserts.get(i));
            one.executeUpdate();
        }
        pending.clear();
        pendingBytes = 0;
    }

    private void delete(String table, List<String> keys) throws SQLException {
        int i = 0;
        for (; i + ROWS <= keys.size(); i += ROWS) {
            deleteMany.setString(1, table);
            for (int j = 0; j < ROWS; j++) {
                deleteMany.setString(2 + j, keys.get(i + j));
            }
            deleteMany.executeUpdate();
        }
        for (; i < keys.size(); i++) {
            delete.setString(1, table);
            delete.setString(2, keys.get(i));
            delete.executeUpdate();
        }
    }

    void discard() {
        pending.clear();
        pendingBytes = 0;
    }

    private static int bind(PreparedStatement s, int p, Map.Entry<SourceRowId, StoredSourceRow> e) throws SQLException {
        StoredSourceRow row = e.getValue();
        s.setString(p++, e.getKey().table().toString());
        s.setString(p++, e.getKey().keyText());
        s.setBytes(p++, SourceRowCodec.encode(row.placements(), row.parameters()));
        if (row.image() == null) {
            s.setNull(p++, Types.VARCHAR);
        } else {
            s.setString(p++, StoredValues.encodeImage(row.image()));
        }
        return p;
    }
}
