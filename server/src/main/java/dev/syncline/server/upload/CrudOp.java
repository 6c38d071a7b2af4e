package dev.syncline.server.upload;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;
import java.util.Objects;

/**
 * One CRUD entry as the PowerSync SDKs hand it to {@code uploadData}.
 *
 * @param opId the client's sequence number of the op, for messages only
 * @param type the client-side table name
 * @param id   the row id
 * @param data column → JSON value; empty for DELETE. The order is the client's.
 */
public record CrudOp(long opId, Kind op, String type, String id, Map<String, JsonNode> data) {
    public enum Kind {
        /** Insert or replace the row with the given columns. */
        PUT,
        /** Update the given columns of an existing row. */
        PATCH,
        /** Delete the row (no-op when it is already gone). */
        DELETE
    }

    public CrudOp {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(id, "id");
        data = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(data));
    }

    /** {@code PUT todos/abc}, for messages. */
    public String describe() {
        return op + " " + type + "/" + id;
    }
}
