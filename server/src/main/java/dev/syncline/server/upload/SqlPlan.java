package dev.syncline.server.upload;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One parameterised statement for one op. {@code sql} holds only catalog identifiers and casts;
 * every client value is in {@code parameters} (text or null, cast by PostgreSQL).
 *
 * @param expectRow PATCH and DELETE affect zero rows when the row is missing or hidden by RLS,
 *                  which the applier must then tell apart
 */
public record SqlPlan(CrudOp op, WritableTable table, String sql, List<String> parameters, boolean expectRow) {
    public SqlPlan {
        // List.copyOf refuses nulls, and a null parameter is a SQL NULL here.
        parameters = Collections.unmodifiableList(new ArrayList<>(parameters));
    }
}
