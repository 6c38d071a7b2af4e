package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;

import java.util.List;
import java.util.Optional;

/**
 * The last stored image of a row, used to fill unchanged TOAST values that PostgreSQL leaves out
 * of an UPDATE. Bucket storage supplies the durable implementation.
 */
@FunctionalInterface
public interface RowImageLookup {
    Optional<Row> lastImage(TableName table, List<SqlValue> key);

    RowImageLookup NONE = (table, key) -> Optional.empty();
}
