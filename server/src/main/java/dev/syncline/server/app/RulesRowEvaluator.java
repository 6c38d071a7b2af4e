package dev.syncline.server.app;

import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.pipeline.BucketRow;
import dev.syncline.server.pipeline.RowEvaluator;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.ParameterValuesCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The replication pipeline's {@link RowEvaluator} over a compiled sync-rules plan. */
final class RulesRowEvaluator implements RowEvaluator {
    private final SyncRulesPlan plan;

    RulesRowEvaluator(SyncRulesPlan plan) {
        this.plan = plan;
    }

    @Override
    public List<BucketRow> dataRows(TableName table, Map<String, SqlValue> row) {
        List<dev.syncline.rules.BucketRow> rows = plan.evaluateRow(table.toString(), row);
        List<BucketRow> out = new ArrayList<>(rows.size());
        for (dev.syncline.rules.BucketRow r : rows) {
            out.add(new BucketRow(r.bucket(), r.table(), r.id(), r.dataJson()));
        }
        return out;
    }

    @Override
    public List<ParameterEntry> parameterRows(TableName table, Map<String, SqlValue> row) {
        List<dev.syncline.rules.ParameterEntry> entries = plan.evaluateParameterRow(table.toString(), row);
        List<ParameterEntry> out = new ArrayList<>(entries.size());
        for (dev.syncline.rules.ParameterEntry e : entries) {
            out.add(new ParameterEntry(e.key().serialize(), ParameterValuesCodec.encode(e.outputs())));
        }
        return out;
    }
}
