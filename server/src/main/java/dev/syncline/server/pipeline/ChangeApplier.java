package dev.syncline.server.pipeline;

import dev.syncline.protocol.OpChecksum;
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
 * Turns one row change into bucket ops inside a write transaction, in two steps: {@link #prepare}
 * evaluates the new image with the sync rules and computes ids and checksums (no storage), and
 * {@link #apply} writes a PUT for every bucket the row is in and a REMOVE for every bucket it
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

    /** Everything about a change that does not depend on stored state. Pure apart from the evaluator. */
    PreparedChange prepare(RowChange change) {
        return switch (change) {
            case RowChange.Insert i -> prepareUpsert(i.row());
            case RowChange.Update u -> u.oldKey() == null ? prepareUpsert(u.row())
                    : new PreparedChange.Steps(List.of(prepareDelete(id(u.oldKey())), prepareUpsert(u.row())));
            case RowChange.Delete d -> prepareDelete(id(d.key()));
            case RowChange.Truncate t -> new PreparedChange.Truncate(t.tables());
        };
    }

    PreparedChange.Upsert prepareUpsert(Row row) {
        SourceRowId id = id(row);
        Map<String, SqlValue> values = row.asMap();
        TableName table = row.table().name();
        // One entry per placement: if the rules emit the same (bucket, type, id) twice, the last wins.
        Map<Placement, BucketRow> rows = new LinkedHashMap<>();
        for (BucketRow r : evaluator.dataRows(table, values)) {
            rows.put(new Placement(r.bucketId(), r.objectType(), r.objectId()), r);
        }
        List<PreparedChange.Put> puts = new ArrayList<>(rows.size());
        BucketRow previous = null;
        long checksum = 0;
        for (Map.Entry<Placement, BucketRow> e : rows.entrySet()) {
            BucketRow r = e.getValue();
            // A row usually carries the same data into each of its buckets: hash it once.
            if (previous == null || !previous.objectType().equals(r.objectType())
                    || !previous.objectId().equals(r.objectId()) || !previous.dataJson().equals(r.dataJson())) {
                checksum = OpChecksum.put(r.objectType(), r.objectId(), r.dataJson());
                previous = r;
            }
            puts.add(new PreparedChange.Put(e.getKey(), r.dataJson(), checksum));
        }
        RowImage image = ToastImages.mayBeToasted(row) ? SourceIds.image(row) : null;
        return new PreparedChange.Upsert(id, puts, evaluator.parameterRows(table, values), image,
                OpChecksum.remove(id.subkey()));
    }

    private static PreparedChange.Delete prepareDelete(SourceRowId id) {
        return new PreparedChange.Delete(id, OpChecksum.remove(id.subkey()));
    }

    /** Applies a prepared change; returns how many source rows it touched. */
    long apply(WriteTransaction tx, PreparedChange change) {
        return switch (change) {
            case PreparedChange.Upsert u -> {
                upsert(tx, u);
                yield 1;
            }
            case PreparedChange.Delete d -> {
                tx.sourceRow(d.id()).ifPresent(previous -> removeRow(tx, d.id(), previous, d.removeChecksum()));
                yield 1;
            }
            case PreparedChange.Steps s -> {
                for (PreparedChange step : s.steps()) {
                    apply(tx, step);
                }
                yield 1;
            }
            case PreparedChange.Truncate t -> {
                long n = 0;
                for (TableName table : t.tables()) {
                    n += removeAll(tx, table);
                }
                yield n;
            }
        };
    }

    void upsert(WriteTransaction tx, Row row) {
        upsert(tx, prepareUpsert(row));
    }

    /** {@link #upsert} of each row, their stored states read at once first ({@link WriteTransaction#prefetch}). */
    void upsertAll(WriteTransaction tx, List<Row> rows) {
        List<PreparedChange.Upsert> prepared = new ArrayList<>(rows.size());
        List<SourceRowId> ids = new ArrayList<>(rows.size());
        for (Row row : rows) {
            PreparedChange.Upsert u = prepareUpsert(row);
            prepared.add(u);
            ids.add(u.id());
        }
        tx.prefetch(ids);
        for (PreparedChange.Upsert u : prepared) {
            upsert(tx, u);
        }
    }

    /** The source rows whose stored state applying {@code change} reads (none for a truncate). */
    static void rowIds(PreparedChange change, List<SourceRowId> out) {
        switch (change) {
            case PreparedChange.Upsert u -> out.add(u.id());
            case PreparedChange.Delete d -> out.add(d.id());
            case PreparedChange.Steps s -> s.steps().forEach(step -> rowIds(step, out));
            case PreparedChange.Truncate t -> {
                // read page by page as it runs
            }
        }
    }

    private static void upsert(WriteTransaction tx, PreparedChange.Upsert change) {
        SourceRowId id = change.id();
        StoredSourceRow previous = tx.sourceRow(id).orElse(null);
        String subkey = id.subkey();
        List<Placement> placements = new ArrayList<>(change.puts().size());
        for (PreparedChange.Put put : change.puts()) {
            placements.add(put.placement());
        }
        if (previous != null) {
            // Rows sit in a handful of buckets; a set only pays for many.
            java.util.Collection<Placement> now = placements.size() > 16 ? new HashSet<>(placements) : placements;
            for (Placement p : previous.placements()) {
                if (!now.contains(p)) {
                    tx.remove(p, subkey, change.removeChecksum());
                }
            }
        }
        for (PreparedChange.Put put : change.puts()) {
            tx.put(put.placement(), subkey, put.dataJson(), put.checksum());
        }
        StoredSourceRow next = new StoredSourceRow(change.image(), placements, change.parameters());
        if (!next.equals(previous)) {    // most updates keep a small row in the same buckets
            tx.saveSourceRow(id, previous, next);
        }
    }

    private static void removeRow(WriteTransaction tx, SourceRowId id, StoredSourceRow previous, long removeChecksum) {
        String subkey = id.subkey();
        Set<Placement> done = new HashSet<>();
        for (Placement p : previous.placements()) {
            if (done.add(p)) {
                tx.remove(p, subkey, removeChecksum);
            }
        }
        tx.deleteSourceRow(id, previous);
    }

    /** Every stored row of {@code table} leaves its buckets (TRUNCATE, or the table was re-created). */
    long removeAll(WriteTransaction tx, TableName table) {
        long n = 0;
        while (true) {
            Map<SourceRowId, StoredSourceRow> page = tx.sourceRows(SourceIds.table(table), TRUNCATE_PAGE);
            if (page.isEmpty()) {
                return n;
            }
            page.forEach((id, previous) -> removeRow(tx, id, previous, OpChecksum.remove(id.subkey())));
            n += page.size();
        }
    }

    private static SourceRowId id(Row row) {
        SourceRowId id = SourceIds.rowId(row.table().name(), row.key());
        id.subkey();    // computed here, so that a prepared change carries it to the writer thread
        return id;
    }
}
