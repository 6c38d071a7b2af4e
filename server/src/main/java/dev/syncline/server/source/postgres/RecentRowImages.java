package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A bounded LRU of recent row images that could hold TOASTed values, so an UPDATE that follows an
 * INSERT in the same (not yet stored) transaction still finds the value it left out. Only rows
 * with a long value are kept: PostgreSQL moves a value out of line only when it is large.
 */
final class RecentRowImages {
    /** Below this many characters no column value can be big enough to be stored out of line. */
    static final int TOASTABLE_CHARS = 500;

    private record Key(TableName table, List<SqlValue> key) {}

    private final Map<Key, Row> images;

    RecentRowImages(int capacity) {
        this.images = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Row> eldest) {
                return size() > capacity;
            }
        };
    }

    void remember(Row row) {
        if (mayHoldToast(row)) {
            images.put(new Key(row.table().name(), row.key()), row);
        } else {
            forget(row.table().name(), row.key());
        }
    }

    void forget(TableName table, List<SqlValue> key) {
        images.remove(new Key(table, key));
    }

    void forgetTable(TableName table) {
        images.keySet().removeIf(k -> k.table().equals(table));
    }

    Optional<Row> get(TableName table, List<SqlValue> key) {
        return Optional.ofNullable(images.get(new Key(table, key)));
    }

    private static boolean mayHoldToast(Row row) {
        for (SqlValue v : row.values()) {
            if (v instanceof SqlValue.Text t && t.value().length() >= TOASTABLE_CHARS) {
                return true;
            }
        }
        return false;
    }
}
