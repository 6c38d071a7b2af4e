package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;

/**
 * A cheap estimate of the heap a row image holds, for budgets in bytes (the hand-off queue, the
 * recent-image cache, snapshot chunks): text counts its length, every value a constant for the
 * object around it. It errs high for Latin-1 text and low for text outside it; a budget only
 * needs the order of magnitude, so that 10k rows of 1 MB are not taken for 10k small ones.
 */
public final class RowSizes {
    /** Per value: the value object, its reference in the list, a string's header. */
    static final long PER_VALUE = 32;
    /** Per row: the row record and its value list. */
    static final long PER_ROW = 64;

    private RowSizes() {}

    public static long of(Row row) {
        if (row == null) {
            return 0;
        }
        long bytes = PER_ROW;
        for (SqlValue v : row.values()) {
            bytes += PER_VALUE;
            if (v instanceof SqlValue.Text t) {
                bytes += t.value().length();
            }
        }
        return bytes;
    }

    public static long of(RowChange change) {
        return switch (change) {
            case RowChange.Insert i -> of(i.row());
            case RowChange.Update u -> of(u.oldKey()) + of(u.row());
            case RowChange.Delete d -> of(d.key());
            case RowChange.Truncate t -> PER_ROW;
        };
    }
}
