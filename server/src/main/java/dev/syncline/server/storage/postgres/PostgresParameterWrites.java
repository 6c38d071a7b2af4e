package dev.syncline.server.storage.postgres;

import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.SourceRowId;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The writer's pending {@code parameter_index} changes, sent in two JDBC batches (deletes, then
 * inserts) instead of one statement per entry. Kept per source row as the entries stored before
 * its first pending change and the latest ones, so each row appears once in a flush and running all
 * its deletes before all inserts gives the same table as replaying the changes in order. Sent at
 * the latest at commit, and past {@value #MAX_PENDING} rows; nothing reads the table through the
 * writer's connection. One thread, the writer's.
 */
final class PostgresParameterWrites {
    static final int MAX_PENDING = 4_096;

    private final PreparedStatement delete;
    private final PreparedStatement insert;
    private final Map<SourceRowId, List<ParameterEntry>[]> pending = new LinkedHashMap<>();

    /**
     * @param delete {@code DELETE … WHERE lookup_key = ? AND source_table = ? AND source_key = ?}
     * @param insert {@code INSERT (lookup_key, source_table, source_key, values_json) … ON CONFLICT DO NOTHING}
     */
    PostgresParameterWrites(PreparedStatement delete, PreparedStatement insert) {
        this.delete = delete;
        this.insert = insert;
    }

    @SuppressWarnings("unchecked")
    void replace(SourceRowId id, List<ParameterEntry> before, List<ParameterEntry> after) throws SQLException {
        List<ParameterEntry>[] change = pending.get(id);
        if (change == null) {
            pending.put(id, new List[] {before, after});
            if (pending.size() >= MAX_PENDING) {
                flush();
            }
        } else {
            change[1] = after;
        }
    }

    void flush() throws SQLException {
        int deletes = 0;
        int inserts = 0;
        for (Map.Entry<SourceRowId, List<ParameterEntry>[]> e : pending.entrySet()) {
            List<ParameterEntry> stored = e.getValue()[0];
            List<ParameterEntry> latest = e.getValue()[1];
            if (stored.equals(latest)) {
                continue;
            }
            String table = e.getKey().table().toString();
            String key = e.getKey().keyText();
            Set<String> lookups = new LinkedHashSet<>();
            stored.forEach(p -> lookups.add(p.lookupKey()));
            for (String lookup : lookups) {
                delete.setString(1, lookup);
                delete.setString(2, table);
                delete.setString(3, key);
                delete.addBatch();
                deletes++;
            }
            for (ParameterEntry p : latest) {
                insert.setString(1, p.lookupKey());
                insert.setString(2, table);
                insert.setString(3, key);
                insert.setString(4, p.valuesJson());
                insert.addBatch();
                inserts++;
            }
        }
        pending.clear();
        if (deletes > 0) {
            delete.executeBatch();
        }
        if (inserts > 0) {
            insert.executeBatch();
        }
    }

    /** Drops what is pending: the transaction rolls back. */
    void clear() {
        pending.clear();
        try {
            delete.clearBatch();
            insert.clearBatch();
        } catch (SQLException ignored) {
            // the rollback resets them either way
        }
    }
}
