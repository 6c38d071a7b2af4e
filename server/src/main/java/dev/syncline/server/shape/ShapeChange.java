package dev.syncline.server.shape;

import java.util.List;
import java.util.Map;

/**
 * One change message of a shape's log: {@code value} holds PostgreSQL text (null for NULL);
 * {@code oldValue} is set on updates of {@code replica=full} shapes (the changed columns' previous
 * values), otherwise null. {@code txids} are the PostgreSQL transaction ids (32-bit, as
 * {@code pg_current_xact_id()::xid}) of the source transactions that made the change, sent as
 * {@code headers.txids}; empty for snapshot rows and where storage does not know them.
 */
public record ShapeChange(Operation operation, String key, Map<String, String> value, Map<String, String> oldValue,
                          List<Long> txids) {
    public ShapeChange {
        txids = List.copyOf(txids);
    }

    public ShapeChange(Operation operation, String key, Map<String, String> value, Map<String, String> oldValue) {
        this(operation, key, value, oldValue, List.of());
    }

    public ShapeChange withTxids(List<Long> ids) {
        return new ShapeChange(operation, key, value, oldValue, ids);
    }

    public enum Operation {
        INSERT("insert"), UPDATE("update"), DELETE("delete");

        public final String wire;

        Operation(String wire) {
            this.wire = wire;
        }
    }
}
