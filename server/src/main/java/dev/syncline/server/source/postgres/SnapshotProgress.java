package dev.syncline.server.source.postgres;

import java.util.ArrayList;
import java.util.List;

/**
 * How far the initial copy has come, stored by the sink atomically with each chunk so that a
 * restart resumes exactly after the last stored row.
 *
 * @param slotName the slot whose consistent point this copy belongs to
 * @param consistentAfter the stream must pass this LSN before the copied data is consistent: the
 *                        slot's consistent point for a copy from the exported snapshot, or the WAL
 *                        position at which a resumed copy took its newer snapshot
 * @param slot which slot this storage was built from ({@link SlotIdentity}); null in storage
 *             written before slot identities were recorded
 */
public record SnapshotProgress(String slotName, Lsn consistentAfter, List<TableProgress> tables, SlotIdentity slot) {
    public SnapshotProgress {
        tables = List.copyOf(tables);
    }

    public SnapshotProgress(String slotName, Lsn consistentAfter, List<TableProgress> tables) {
        this(slotName, consistentAfter, tables, null);
    }

    /**
     * @param relationId the table's OID when the copy started; a different OID later means the
     *                   table was dropped and re-created
     * @param lastKey the primary-key values (PostgreSQL text) of the last copied row; empty before
     *                the first chunk
     */
    public record TableProgress(TableName table, int relationId, List<String> lastKey, long rowsCopied,
                                boolean done) {
        public TableProgress {
            lastKey = List.copyOf(lastKey);
        }
    }

    public boolean complete() {
        return tables.stream().allMatch(TableProgress::done);
    }

    public TableProgress table(TableName name) {
        return tables.stream().filter(t -> t.table().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("table not in snapshot: " + name));
    }

    public SnapshotProgress with(TableProgress updated) {
        List<TableProgress> copy = new ArrayList<>(tables);
        copy.replaceAll(t -> t.table().equals(updated.table()) ? updated : t);
        return new SnapshotProgress(slotName, consistentAfter, copy, slot);
    }

    public SnapshotProgress withConsistentAfter(Lsn lsn) {
        return new SnapshotProgress(slotName, lsn, tables, slot);
    }

    public SnapshotProgress withSlot(SlotIdentity identity) {
        return new SnapshotProgress(slotName, consistentAfter, tables, identity);
    }
}
