package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.SourceRowId;
import dev.syncline.server.storage.SourceXid;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.StoredSourceRow;
import dev.syncline.server.storage.StoredValues;
import dev.syncline.server.storage.TableId;
import dev.syncline.server.storage.WriteTransaction;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link WriteTransaction} inside one PostgreSQL transaction. Ops are collected per bucket into
 * segments ({@link PostgresOpSegments}); bucket totals are summed in memory and applied as one
 * relative upsert per touched bucket at commit, so the compactor's changes compose with them.
 */
final class PostgresWriteTransaction implements WriteTransaction {
    private static final int MAX_PENDING_BUCKETS = 50_000;

    private final PostgresWriter w;
    private final CommitPosition storedCommit;
    /** Per bucket: checksum delta, op count delta, row count delta. */
    private final Map<String, long[]> deltas = new HashMap<>();
    private long lastOpId;
    /**
     * The first op appended since the last {@link #sourceTransaction} call, or -1 if none: only
     * appended ops are attributed (op ids skipped by a reservation are nobody's).
     */
    private long unattributedFrom = -1;
    private final List<SourceXid> sourceXids = new ArrayList<>();
    private boolean done;

    PostgresWriteTransaction(PostgresWriter writer, OpId lastOpId, CommitPosition storedCommit) {
        this.w = writer;
        this.lastOpId = lastOpId.value();
        this.storedCommit = storedCommit;
    }

    @Override
    public Optional<StoredSourceRow> sourceRow(SourceRowId id) {
        try {
            return w.rows.get(id);
        } catch (SQLException e) {
            throw failed("reading source row " + id, e);
        }
    }

    @Override
    public void prefetch(java.util.Collection<SourceRowId> ids) {
        checkOpen();
        try {
            w.rows.prefetch(ids);
        } catch (SQLException e) {
            throw failed("reading " + ids.size() + " source rows", e);
        }
    }

    @Override
    public Map<SourceRowId, StoredSourceRow> sourceRows(TableId table, int limit) {
        Map<SourceRowId, StoredSourceRow> out = new LinkedHashMap<>();
        try {
            w.rows.flush();   // the query must see this transaction's pending saves and deletes
            w.selectRows.setString(1, table.toString());
            w.selectRows.setInt(2, limit);
            try (ResultSet rs = w.selectRows.executeQuery()) {
                while (rs.next()) {
                    out.put(new SourceRowId(table, StoredValues.decodeValues(rs.getString(1))),
                            PostgresSourceRows.decode(rs.getString(2), rs.getString(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed("reading source rows of " + table, e);
        }
    }

    @Override
    public void saveSourceRow(SourceRowId id, StoredSourceRow previous, StoredSourceRow next) {
        try {
            w.rows.save(id, next);
            countRows(previous == null ? List.of() : previous.placements(), next.placements());
            replaceParameters(id, previous == null ? List.of() : previous.parameters(), next.parameters());
        } catch (SQLException e) {
            throw failed("writing source row " + id, e);
        }
    }

    @Override
    public void deleteSourceRow(SourceRowId id, StoredSourceRow previous) {
        try {
            w.rows.delete(id);
            if (previous != null) {
                countRows(previous.placements(), List.of());
                replaceParameters(id, previous.parameters(), List.of());
            }
        } catch (SQLException e) {
            throw failed("deleting source row " + id, e);
        }
    }

    private void countRows(List<Placement> before, List<Placement> after) throws SQLException {
        if (before.equals(after)) {
            return;
        }
        Set<Placement> old = new HashSet<>(before);
        Set<Placement> now = new HashSet<>(after);
        for (Placement p : old) {
            if (!now.contains(p)) {
                delta(p.bucket())[2]--;
            }
        }
        for (Placement p : now) {
            if (!old.contains(p)) {
                delta(p.bucket())[2]++;
            }
        }
    }

    private void replaceParameters(SourceRowId id, List<ParameterEntry> before, List<ParameterEntry> after)
            throws SQLException {
        if (before.equals(after)) {
            return;
        }
        for (ParameterEntry e : before) {
            w.changes.lookupKey(e.lookupKey());
        }
        for (ParameterEntry e : after) {
            w.changes.lookupKey(e.lookupKey());
        }
        w.parameters.replace(id, before, after);
    }

    @Override
    public OpId put(Placement placement, String subkey, String dataJson, long checksum) {
        return append(placement, OpType.PUT, subkey, dataJson, checksum);
    }

    @Override
    public OpId remove(Placement placement, String subkey, long checksum) {
        return append(placement, OpType.REMOVE, subkey, null, checksum);
    }

    private OpId append(Placement p, OpType type, String subkey, String data, long checksum) {
        checkOpen();
        try {
            long opId = ++lastOpId;
            if (unattributedFrom < 0) {
                unattributedFrom = opId;
            }
            w.segments.add(p.bucket(), opId, type.code(), p.objectType(), p.objectId(), subkey, data, checksum);
            long[] d = delta(p.bucket());
            d[0] += checksum;
            d[1]++;
            w.changes.bucket(p.bucket());
            return new OpId(opId);
        } catch (SQLException e) {
            throw failed("appending an op to bucket " + p.bucket(), e);
        }
    }

    private long[] delta(String bucket) throws SQLException {
        long[] d = deltas.get(bucket);
        if (d == null) {
            if (deltas.size() >= MAX_PENDING_BUCKETS) {
                flushDeltas();
            }
            d = new long[3];
            deltas.put(bucket, d);
        }
        return d;
    }

    private void flushDeltas() throws SQLException {
        for (Map.Entry<String, long[]> e : deltas.entrySet()) {
            long[] d = e.getValue();
            w.bucketDelta.setString(1, e.getKey());
            w.bucketDelta.setLong(2, d[0] & 0xFFFF_FFFFL);
            w.bucketDelta.setLong(3, d[1]);
            w.bucketDelta.setLong(4, d[2]);
            w.bucketDelta.addBatch();
        }
        if (!deltas.isEmpty()) {
            w.bucketDelta.executeBatch();
        }
        deltas.clear();
    }

    @Override
    public void sourceTransaction(long xid) {
        checkOpen();
        if (unattributedFrom >= 0) {
            sourceXids.add(new SourceXid(unattributedFrom, lastOpId, xid));
        }
        unattributedFrom = -1;
    }

    @Override
    public void reserveOpIdsThrough(OpId through) {
        checkOpen();
        lastOpId = Math.max(lastOpId, through.value());
    }

    @Override
    public void snapshotProgress(String progress) {
        try {
            w.updateSnapshot.setString(1, progress);
            w.updateSnapshot.executeUpdate();
        } catch (SQLException e) {
            throw failed("storing snapshot progress", e);
        }
    }

    @Override
    public void acknowledged(CommitPosition position) {
        try {
            w.updateAcknowledged.setLong(1, position.value());
            w.updateAcknowledged.executeUpdate();
        } catch (SQLException e) {
            throw failed("storing the acknowledged position", e);
        }
    }

    @Override
    public Optional<Checkpoint> commit(CommitPosition commit, boolean consistent) {
        checkOpen();
        CommitPosition position = commit == null ? storedCommit : CommitPosition.max(commit, storedCommit);
        Checkpoint checkpoint = consistent ? new Checkpoint(new OpId(lastOpId), position) : null;
        // Under the listeners' lock from commit to announcement: the checkpoint follower, polling the
        // state row, must not announce this checkpoint first (then without its changes) nor twice.
        synchronized (w.listeners) {
            try {
                w.segments.flush();
                flushDeltas();
                w.rows.flush();
                w.parameters.flush();
                w.sourceXids.write(sourceXids);
                w.updateState.setLong(1, lastOpId);
                w.updateState.setLong(2, position.value());
                if (checkpoint == null) {
                    w.updateState.setNull(3, Types.BIGINT);
                    w.updateState.setNull(4, Types.BIGINT);
                } else {
                    w.updateState.setLong(3, lastOpId);
                    w.updateState.setLong(4, position.value());
                }
                w.updateState.executeUpdate();
                if (checkpoint != null) {   // other nodes hear of it when (and only if) it commits
                    w.notify.setString(2, CheckpointChannel.checkpoint(w.schema, checkpoint, w.changes.peek()));
                    w.notify.execute();
                }
                w.fence.check(w.connection);   // last: the share lock on the lease row is held until the commit
                w.connection.commit();
            } catch (SQLException e) {
                close();
                throw failed("committing", e);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            done = true;
            w.finished(true);
            if (checkpoint != null) {
                w.listeners.announce(checkpoint, w.changes.drain());
            }
        }
        return Optional.ofNullable(checkpoint);
    }

    @Override
    public void close() {
        if (!done) {
            done = true;
            w.segments.clear();
            w.parameters.clear();
            try {
                w.bucketDelta.clearBatch();
                w.sourceXids.clearBatch();
            } catch (SQLException ignored) {
                // rolled back below either way
            }
            w.rows.forget();   // what it knew included this transaction's writes
            w.finished(false);
        }
    }

    private void checkOpen() {
        if (done) {
            throw new IllegalStateException("write transaction already finished");
        }
    }

    private StorageException failed(String what, SQLException e) {
        w.checkConnection();
        return new StorageException("storage write failed (" + what + "): " + PostgresConnections.message(e), e);
    }
}
