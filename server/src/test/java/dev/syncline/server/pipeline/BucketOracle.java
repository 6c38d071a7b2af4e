package dev.syncline.server.pipeline;

import dev.syncline.protocol.OpId;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.BucketStats;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.ReducedBucket;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares bucket storage with the sync rules evaluated over source rows directly: for every
 * bucket, the rows a client gets by applying the bucket's ops must be exactly the rows the rules
 * select.
 */
public final class BucketOracle {
    private BucketOracle() {}

    /** bucket → (object type, object id) → data, as the rules select them from {@code tables}. */
    public static Map<String, Map<List<String>, String>> expected(RowEvaluator rules,
                                                                  Map<TableName, ? extends Iterable<Map<String, SqlValue>>> tables) {
        Map<String, Map<List<String>, String>> out = new TreeMap<>();
        tables.forEach((table, rows) -> {
            for (Map<String, SqlValue> row : rows) {
                for (BucketRow r : rules.dataRows(table, row)) {
                    out.computeIfAbsent(r.bucketId(), b -> new HashMap<>()).put(List.of(r.objectType(), r.objectId()),
                            r.dataJson());
                }
            }
        });
        return out;
    }

    /** The same shape, from the reduced op log of every bucket up to the latest checkpoint. */
    public static Map<String, Map<List<String>, String>> stored(BucketStorage storage) {
        Map<String, Map<List<String>, String>> out = new TreeMap<>();
        try (ReadView v = storage.reader().open()) {
            OpId upTo = v.checkpoint().map(Checkpoint::lastOpId).orElse(OpId.ZERO);
            for (BucketStats b : v.bucketStats()) {
                Map<List<String>, String> rows = ReducedBucket.of(v.ops(b.bucket(), OpId.ZERO, upTo, Integer.MAX_VALUE))
                        .rowsByTypeAndId();
                if (!rows.isEmpty()) {
                    out.put(b.bucket(), rows);
                }
            }
        }
        return out;
    }

    /** Parameter values per lookup key, as the rules produce them from {@code tables}. */
    public static Map<String, List<String>> expectedParameters(RowEvaluator rules,
                                                               Map<TableName, ? extends Iterable<Map<String, SqlValue>>> tables) {
        Map<String, List<String>> out = new TreeMap<>();
        tables.forEach((table, rows) -> {
            for (Map<String, SqlValue> row : rows) {
                rules.parameterRows(table, row).forEach(e -> out.computeIfAbsent(e.lookupKey(),
                        k -> new java.util.ArrayList<>()).add(e.valuesJson()));
            }
        });
        out.values().forEach(l -> l.sort(null));
        return out;
    }

    public static Map<String, List<String>> storedParameters(BucketStorage storage, Iterable<String> keys) {
        Map<String, List<String>> out = new TreeMap<>();
        try (ReadView v = storage.reader().open()) {
            for (String k : keys) {
                List<String> values = new java.util.ArrayList<>(v.parameterValues(k));
                if (!values.isEmpty()) {
                    values.sort(null);
                    out.put(k, values);
                }
            }
        }
        return out;
    }
}
