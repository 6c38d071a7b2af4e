package dev.syncline.server.shape;

import java.util.Map;

/**
 * One change message of a shape's log: {@code value} holds PostgreSQL text (null for NULL);
 * {@code oldValue} is set on updates of {@code replica=full} shapes (the changed columns' previous
 * values), otherwise null.
 */
public record ShapeChange(Operation operation, String key, Map<String, String> value, Map<String, String> oldValue) {
    public enum Operation {
        INSERT("insert"), UPDATE("update"), DELETE("delete");

        public final String wire;

        Operation(String wire) {
            this.wire = wire;
        }
    }
}
