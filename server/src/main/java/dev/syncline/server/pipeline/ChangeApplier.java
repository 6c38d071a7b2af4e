package dev.syncline.server.pipeline;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.Row;
import dev.syncline.server.source.postgres.RowChange;
import dev.syncline.server.source.postgres.TableName;
import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.RowImage;
import dev.syncline.server.storage.SourceRowId;
import dev.syncline.server.storage.StoredSourceRow;
import dev.syncline.server.storage.WriteTransaction;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns one row change into bucket ops inside a write transaction: evaluates the new image with
 * the sync rules, writes a PUT for every bucket the row is in and a REMOVE for every bucket it
 * left, and stores the row's new bucket set and parameter entries. Stateless apart from the
 * evaluator; the transaction holds everything else.
 */
final class ChangeApplier {
    /** Rows removed per round when a whole table goes, so a truncate of any size runs in bounded memory. */
    private static final int TRUNCATE_PAGE = 1000;

    private final RowEvaluator evaluator;

    ChangeApplier(RowEvaluator evaluator) {
        this.evaluator = evaluator;
    }

    /** Applies a change; returns how many source rows it touched. */
    long apply(WriteTransaction tx, RowChange change) {
        return switch (change) {
            case RowChange.Insert i -> {
                upsert(tx, i.row());
                yield 1;
            }
            case RowChange.Update u -> {
                if (u.oldKey() != null) {
                    delete(tx, id(u.oldKey()));
                }
                upsert(tx, u.row());
                yield 1;
            }
            case RowChange.Delete d -> {
                delete(tx, id(d.key()));
                yield 1;
            }
            case RowChange.Truncate t -> {
                long n = 0;
                for (TableName table : t.tables()) {
                    n += removeAll(tx, table);
                }
                yield n;
            }
        };
    }

    void upsert(WriteTransaction tx, Row row) {
        SourceRowId id = id(row);
        StoredSourceRow previous = tx.sourceRow(id).orElse(null);
        Map<String, SqlValue> values = row.asMap();
        TableName table = row.table().name();
        // One entry per placement: if the rules emit the same (bucket, type, id) twice, the last wins.
        Map<Placement, BucketRow> rows = new LinkedHashMap<>();
        for (BucketRow r : evaluator.dataRows(table, values)) {
            rows.put(new Placement(r.bucketId(), r.objectType(), r.objectId()), r);
        }
        List<ParameterEntry> parameters = evaluator.parameterRows(table, values);
        String subkey = id.subkey();
        if (previous != null) {
            for (Placement p : previous.placements()) {
                if (!rows.containsKey(p)) {
                    tx.remove(p.bucket(), p.objectType(), p.objectId(), subkey);
                }
            }
        }
        for (BucketRow r : rows.values()) {
            tx.put(r.bucketId(), r.objectType(), r.objectId(), subkey, r.dataJson());
        }
        RowImage image = ToastImages.mayBeToasted(row) ? RowImage.of(row) : null;
        StoredSourceRow next = new StoredSourceRow(image, new ArrayList<>(rows.keySet()), parameters);
        if (!next.equals(previous)) {    // most updates keep a small row in the same buckets
            tx.saveSourceRow(id, previous, next);
        }
    }

    void delete(WriteTransaction tx, SourceRowId id) {
        tx.sourceRow(id).ifPresent(previous -> removeRow(tx, id, previous));
    }

    private static void removeRow(WriteTransaction tx, SourceRowId id, StoredSourceRow previous) {
        String subkey = id.subkey();
        Set<Placement> done = new HashSet<>();
        for (Placement p : previous.placements()) {
            if (done.add(p)) {
                tx.remove(p.bucket(), p.objectType(), p.objectId(), subkey);
            }
        }
        tx.deleteSourceRow(id, previous);
    }

    /** Every stored row of {@code table} leaves its buckets (TRUNCATE, or the table was re-created). */
    long removeAll(WriteTransaction tx, TableName table) {
        long n = 0;
        while (true) {
            Map<SourceRowId, StoredSourceRow> page = tx.sourceRows(table, TRUNCATE_PAGE);
            if (page.isEmpty()) {
                return n;
            }
            page.forEach((id, previous) -> removeRow(tx, id, previous));
            n += page.size();
        }
    }

    private static SourceRowId id(Row row) {
        return new SourceRowId(row.table().name(), row.key());
    }
}
