package dev.syncline.server.storage.postgres;

import dev.syncline.server.storage.SourceRowId;
import dev.syncline.server.storage.StoredSourceRow;
import dev.syncline.server.storage.StoredValues;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The writer's view of {@code source_rows}: what it knows of each row's stored state, and the
 * writes not yet sent. Why: the pipeline reads a row's previous state before each change, and one
 * SELECT and one upsert per change made PostgreSQL storage wait on two round trips per row
 * (3k changes/s where SQLite, in process, did 20k). Now
 * <ul>
 *   <li>{@link #prefetch} reads the rows of many upcoming changes in one statement (rows not found
 *       are known to be absent), so most {@link #get}s need no SQL;</li>
 *   <li>saves and deletes are write-behind, sent by {@link #flush} at the latest before the
 *       transaction commits and before anything queries the table: rows the table does not hold
 *       (known absent) in one binary COPY, the others as a batch of upserts, deletes as one
 *       statement per table;</li>
 *   <li>what is known stays valid across commits, since only this writer writes the table (the
 *       replicator lease fences any other); it is forgotten on a rollback and when the writer
 *       reloads its state.</li>
 * </ul>
 * Bounded: past {@value #MAX_KNOWN} rows or {@value #MAX_KNOWN_BYTES} estimated bytes (rows keep
 * their image for unchanged TOAST values) the pending writes are sent and the older half of what
 * is known is forgotten.
 * One thread, the writer's.
 */
final class PostgresSourceRows {
    static final int MAX_KNOWN = 16_384;
    static final long MAX_KNOWN_BYTES = 4L << 20;
    /** Rows per prefetch statement. */
    static final int PREFETCH_CHUNK = 1_000;
    private static final String COPY_NEW_ROWS = "COPY source_rows (source_table, source_key, state, image) "
            + "FROM STDIN (FORMAT binary)";

    private final Connection connection;
    private final PreparedStatement select;
    private final PreparedStatement selectMany;
    private final PreparedStatement upsert;
    private final PreparedStatement delete;
    /** Row → its state as of this writer's last write or read; an empty value means no stored row. */
    private final Map<SourceRowId, Optional<StoredSourceRow>> known = new LinkedHashMap<>();
    /** Rows written and not yet sent; a null value is a delete. */
    private final Map<SourceRowId, StoredSourceRow> pending = new LinkedHashMap<>();
    /** Pending rows the table does not hold (known absent at their first pending write): COPY-ed, not upserted. */
    private final java.util.Set<SourceRowId> absent = new java.util.HashSet<>();
    private final CopyManager copy;
    private final PgBinaryCopy newRows = new PgBinaryCopy();
    private long knownBytes;

    PostgresSourceRows(Connection connection) throws SQLException {
        this.connection = connection;
        this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
        select = connection.prepareStatement("SELECT state, image FROM source_rows WHERE source_table = ? AND source_key = ?");
        // One table's keys as an array: an index scan of the primary key whatever the plan cache
        // decides (a join with unnest(...) could become a hash join over the whole table).
        selectMany = connection.prepareStatement("SELECT source_key, state, image FROM source_rows "
                + "WHERE source_table = ? AND source_key = ANY(?)");
        upsert = connection.prepareStatement("INSERT INTO source_rows (source_table, source_key, state, image) "
                + "VALUES (?, ?, ?, ?) ON CONFLICT (source_table, source_key) DO UPDATE SET state = EXCLUDED.state, "
                + "image = EXCLUDED.image");
        delete = connection.prepareStatement("DELETE FROM source_rows WHERE source_table = ? AND source_key = ANY(?)");
    }

    /** The row's state as this transaction sees it. */
    Optional<StoredSourceRow> get(SourceRowId id) throws SQLException {
        Optional<StoredSourceRow> cached = known.get(id);
        if (cached != null) {
            return cached;
        }
        select.setString(1, id.table().toString());
        select.setString(2, id.keyText());
        Optional<StoredSourceRow> stored;
        try (ResultSet rs = select.executeQuery()) {
            stored = rs.next() ? Optional.of(decode(rs.getString(1), rs.getString(2))) : Optional.empty();
        }
        remember(id, stored);
        return stored;
    }

    /** Reads the rows of {@code ids} not known yet, in statements of {@value #PREFETCH_CHUNK}. */
    void prefetch(Collection<SourceRowId> ids) throws SQLException {
        Map<String, SourceRowId> missing = new LinkedHashMap<>();
        for (SourceRowId id : ids) {
            if (!known.containsKey(id)) {
                missing.putIfAbsent(id.table() + "\u0000" + id.keyText(), id);
            }
        }
        Map<String, List<SourceRowId>> byTable = new LinkedHashMap<>();
        for (SourceRowId id : missing.values()) {
            byTable.computeIfAbsent(id.table().toString(), t -> new ArrayList<>()).add(id);
        }
        for (Map.Entry<String, List<SourceRowId>> table : byTable.entrySet()) {
            prefetch(table.getKey(), table.getValue(), missing);
        }
    }

    private void prefetch(String table, List<SourceRowId> todo, Map<String, SourceRowId> missing) throws SQLException {
        for (int from = 0; from < todo.size(); from += PREFETCH_CHUNK) {
            List<SourceRowId> chunk = todo.subList(from, Math.min(todo.size(), from + PREFETCH_CHUNK));
            String[] keys = new String[chunk.size()];
            for (int i = 0; i < chunk.size(); i++) {
                keys[i] = chunk.get(i).keyText();
            }
            Map<SourceRowId, Optional<StoredSourceRow>> found = new HashMap<>();
            Array k = connection.createArrayOf("text", keys);
            try {
                selectMany.setString(1, table);
                selectMany.setArray(2, k);
                try (ResultSet rs = selectMany.executeQuery()) {
                    while (rs.next()) {
                        SourceRowId id = missing.get(table + "\u0000" + rs.getString(1));
                        if (id != null) {
                            found.put(id, Optional.of(decode(rs.getString(2), rs.getString(3))));
                        }
                    }
                }
            } finally {
                k.free();
            }
            for (SourceRowId id : chunk) {
                if (!known.containsKey(id)) {   // a bound reached while remembering may have dropped them all
                    remember(id, found.getOrDefault(id, Optional.empty()));
                }
            }
        }
    }

    void save(SourceRowId id, StoredSourceRow row) throws SQLException {
        notePending(id);
        pending.put(id, row);
        remember(id, Optional.of(row));
    }

    void delete(SourceRowId id) throws SQLException {
        notePending(id);
        pending.put(id, null);
        remember(id, Optional.empty());
    }

    /** At a row's first pending write what is known of it is what the table holds. */
    private void notePending(SourceRowId id) {
        if (!pending.containsKey(id)) {
            Optional<StoredSourceRow> stored = known.get(id);
            if (stored != null && stored.isEmpty()) {
                absent.add(id);
            }
        }
    }

    /** Sends the pending writes (one batch of upserts, one delete per table: each row appears once). */
    void flush() throws SQLException {
        if (pending.isEmpty()) {
            return;
        }
        int upserts = 0;
        Map<String, List<String>> deletes = new LinkedHashMap<>();
        for (Map.Entry<SourceRowId, StoredSourceRow> e : pending.entrySet()) {
            SourceRowId id = e.getKey();
            StoredSourceRow row = e.getValue();
            if (row == null) {
                if (!absent.contains(id)) {
                    deletes.computeIfAbsent(id.table().toString(), t -> new ArrayList<>()).add(id.keyText());
                }
            } else if (absent.contains(id)) {
                newRows.row(4);
                newRows.text(id.table().toString());
                newRows.text(id.keyText());
                newRows.text(RowStateJson.encode(row.placements(), row.parameters()));
                newRows.text(row.image() == null ? null : StoredValues.encodeImage(row.image()));
            } else {
                upsert.setString(1, id.table().toString());
                upsert.setString(2, id.keyText());
                upsert.setString(3, RowStateJson.encode(row.placements(), row.parameters()));
                if (row.image() == null) {
                    upsert.setNull(4, Types.VARCHAR);
                } else {
                    upsert.setString(4, StoredValues.encodeImage(row.image()));
                }
                upsert.addBatch();
                upserts++;
            }
        }
        pending.clear();
        absent.clear();
        newRows.send(copy, COPY_NEW_ROWS);
        if (upserts > 0) {
            upsert.executeBatch();
        }
        for (Map.Entry<String, List<String>> e : deletes.entrySet()) {   // one statement per table, not per row
            Array keys = connection.createArrayOf("text", e.getValue().toArray());
            try {
                delete.setString(1, e.getKey());
                delete.setArray(2, keys);
                delete.executeUpdate();
            } finally {
                keys.free();
            }
        }
    }

    /** Forgets everything, pending writes included: the transaction rolled back, or the writer reloads. */
    void forget() {
        try {
            upsert.clearBatch();
            delete.clearBatch();
        } catch (SQLException ignored) {
            // the statements are reset by the rollback either way
        }
        pending.clear();
        absent.clear();
        newRows.clear();
        known.clear();
        knownBytes = 0;
    }

    private void remember(SourceRowId id, Optional<StoredSourceRow> state) throws SQLException {
        Optional<StoredSourceRow> before = known.put(id, state);
        knownBytes += bytes(state) - (before == null ? 0 : bytes(before));
        if (known.size() > MAX_KNOWN || knownBytes > MAX_KNOWN_BYTES) {
            // Sends what is pending, then forgets the oldest half: rows just prefetched for the
            // changes queued next stay known (forgetting them all cost one SELECT per change after).
            flush();
            var it = known.values().iterator();
            while (it.hasNext() && (known.size() > MAX_KNOWN / 2 || knownBytes > MAX_KNOWN_BYTES / 2)) {
                knownBytes -= bytes(it.next());
                it.remove();
            }
        }
    }

    private static long bytes(Optional<StoredSourceRow> state) {
        if (state.isEmpty()) {
            return 64;
        }
        StoredSourceRow row = state.get();
        return 128 + (row.image() == null ? 0 : row.image().estimatedBytes()) + 64L * row.placements().size();
    }

    static StoredSourceRow decode(String state, String image) {
        RowStateJson.State s = RowStateJson.decode(state);
        return new StoredSourceRow(image == null ? null : StoredValues.decodeImage(image), s.placements(), s.parameters());
    }
}
