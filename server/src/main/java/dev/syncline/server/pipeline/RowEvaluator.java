package dev.syncline.server.pipeline;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.ParameterEntry;

import java.util.List;
import java.util.Map;

/**
 * What the pipeline needs from the sync rules: for one row image, the buckets it belongs to and
 * the parameter-lookup entries it produces. Must be pure and deterministic (the same row always
 * gives the same answer), because storage diffs today's answer against the stored one.
 */
public interface RowEvaluator {

    /** The rows this source row becomes, one per bucket (and output table) it belongs to. */
    List<BucketRow> dataRows(TableName table, Map<String, SqlValue> row);

    /** Entries for the parameter-lookup index (table-based parameter queries). */
    List<ParameterEntry> parameterRows(TableName table, Map<String, SqlValue> row);
}
