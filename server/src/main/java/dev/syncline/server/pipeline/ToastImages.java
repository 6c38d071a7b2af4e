package dev.syncline.server.pipeline;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.Row;

/**
 * Decides which row images storage must keep for filling unchanged TOAST values. PostgreSQL moves
 * values out of line only when the whole tuple passes about 2 KB (TOAST_TUPLE_THRESHOLD); storing
 * the image of every small row would cost a write per change for nothing. The estimate errs
 * large (text forms are mostly longer than the stored forms) and the threshold sits at half of
 * PostgreSQL's, so a row that could have been TOASTed always has its image stored.
 */
final class ToastImages {
    static final int THRESHOLD_BYTES = 1000;

    private ToastImages() {}

    static boolean mayBeToasted(Row row) {
        long size = 24;
        for (SqlValue v : row.values()) {
            size += switch (v) {
                case SqlValue.Null n -> 0;
                case SqlValue.Int i -> 8;
                case SqlValue.Real r -> 8;
                case SqlValue.Text t -> t.value().length();
            };
            if (size >= THRESHOLD_BYTES) {
                return true;
            }
        }
        return false;
    }
}
