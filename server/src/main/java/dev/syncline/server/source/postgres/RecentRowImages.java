package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A bounded LRU of recent row images that could hold TOASTed values, so an UPDATE that follows an
 * INSERT in the same (not yet stored) transaction still finds the value it left out. Only rows
 * with a long value are kept: PostgreSQL moves a value out of line only when it is large.
 *
 * <p>Bounded in rows and in bytes (by {@link RowSizes}): every row it keeps is a large one, so a
 * row count alone would let 10k rows of 1 MB fill the heap. The least recently used row goes
 * first; the newest row stays even when it alone exceeds the byte budget, because the next change
 * of the same transaction is the one most likely to need it.
 */
final class RecentRowImages {
    /** Below this many characters no column value can be big enough to be stored out of line. */
    static final int TOASTABLE_CHARS = 500;
    private record Key(TableName table, List<SqlValue> key) {}

    private record Image(Row row, long bytes) {}

    private final int capacity;
    private final long maxBytes;
    private final Map<Key, Image> images = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    RecentRowImages(int capacity, long maxBytes) {
        this.capacity = capacity;
        this.maxBytes = maxBytes;
    }

    void remember(Row row) {
        if (mayHoldToast(row)) {
            Image image = new Image(row, RowSizes.of(row));
            Image replaced = images.put(new Key(row.table().name(), row.key()), image);
            bytes += image.bytes() - (replaced == null ? 0 : replaced.bytes());
            evict();
        } else {
            forget(row.table().name(), row.key());
        }
    }

    void forget(TableName table, List<SqlValue> key) {
        Image removed = images.remove(new Key(table, key));
        if (removed != null) {
            bytes -= removed.bytes();
        }
    }

    void forgetTable(TableName table) {
        Iterator<Map.Entry<Key, Image>> it = images.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Key, Image> e = it.next();
            if (e.getKey().table().equals(table)) {
                bytes -= e.getValue().bytes();
                it.remove();
            }
        }
    }

    Optional<Row> get(TableName table, List<SqlValue> key) {
        return Optional.ofNullable(images.get(new Key(table, key))).map(Image::row);
    }

    /** Estimated bytes of the rows kept. */
    long bytes() {
        return bytes;
    }

    int size() {
        return images.size();
    }

    /** Drops least recently used rows while over either bound, never the most recent one. */
    private void evict() {
        Iterator<Image> eldestFirst = images.values().iterator();
        while (images.size() > 1 && (images.size() > capacity || bytes > maxBytes)) {
            bytes -= eldestFirst.next().bytes();
            eldestFirst.remove();
        }
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
