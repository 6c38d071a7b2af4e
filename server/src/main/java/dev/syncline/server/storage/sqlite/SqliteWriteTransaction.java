package dev.syncline.server.storage.sqlite;

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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A {@link WriteTransaction} inside one SQLite {@code BEGIN IMMEDIATE} … {@code COMMIT}. */
final class SqliteWriteTransaction implements WriteTransaction {
    private final SqliteWriter w;
    private final CommitPosition storedCommit;
    private long lastOpId;
    /**
     * The first op appended since the last {@link #sourceTransaction} call, or -1 if none: only
     * appended ops are attributed (op ids skipped by a reservation are nobody's).
     */
    private long unattributedFrom = -1;
    private final List<SourceXid> sourceXids = new ArrayList<>();
    private boolean done;

    SqliteWriteTransaction(SqliteWriter writer, OpId lastOpId, CommitPosition storedCommit) {
        this.w = writer;
        this.lastOpId = lastOpId.value();
        this.storedCommit = storedCommit;
    }

    @Override
    public Optional<StoredSourceRow> sourceRow(SourceRowId id) {
        Optional<StoredSourceRow> pending = w.rows.lookup(id);
        if (pending != null) {
            return pending;
        }
        try {
            w.selectRow.setString(1, id.table().toString());
            w.selectRow.setString(2, id.keyText());
            try (ResultSet rs = w.selectRow.executeQuery()) {
                return rs.next() ? Optional.of(decode(rs.getBytes(1), rs.getString(2)))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw failed("reading source row " + id, e);
        }
    }

    @Override
    public Map<SourceRowId, StoredSourceRow> sourceRows(TableId table, int limit) {
        Map<SourceRowId, StoredSourceRow> out = new LinkedHashMap<>();
        try {
            w.rows.flush();
            w.selectRows.setString(1, table.toString());
            w.selectRows.setInt(2, limit);
            try (ResultSet rs = w.selectRows.executeQuery()) {
                while (rs.next()) {
                    out.put(new SourceRowId(table, StoredValues.decodeValues(rs.getString(1))),
                            decode(rs.getBytes(2), rs.getString(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed("reading source rows of " + table, e);
        }
    }

    private static StoredSourceRow decode(byte[] state, String image) {
        SourceRowCodec.State s = SourceRowCodec.decode(state);
        return new StoredSourceRow(image == null ? null : StoredValues.decodeImage(image), s.placements(),
                s.parameters());
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
                w.deltas.rows(w.bucketIds.idOf(p.bucket()), -1);
            }
        }
        for (Placement p : now) {
            if (!old.contains(p)) {
                w.deltas.rows(w.bucketIds.idOf(p.bucket()), +1);
            }
        }
    }

    private void replaceParameters(SourceRowId id, List<ParameterEntry> before, List<ParameterEntry> after)
            throws SQLException {
        if (before.equals(after)) {
            return;
        }
        String table = id.table().toString();
        String key = id.keyText();
        for (ParameterEntry e : before) {
            w.changes.lookupKey(e.lookupKey());
            w.deleteParameters.setString(1, e.lookupKey());
            w.deleteParameters.setString(2, table);
            w.deleteParameters.setString(3, key);
            w.deleteParameters.executeUpdate();
        }
        for (ParameterEntry e : after) {
            w.changes.lookupKey(e.lookupKey());
            w.insertParameter.setString(1, e.lookupKey());
            w.insertParameter.setString(2, table);
            w.insertParameter.setString(3, key);
            w.insertParameter.setString(4, e.valuesJson());
            w.insertParameter.executeUpdate();
        }
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
            long bucketId = w.bucketIds.idOf(p.bucket());
            long opId = ++lastOpId;
            if (unattributedFrom < 0) {
                unattributedFrom = opId;
            }
            w.ops.add(bucketId, opId, type.code(), p.objectType(), p.objectId(), subkey, data, checksum);
            w.deltas.op(bucketId, checksum);
            w.changes.bucket(p.bucket());
            return new OpId(opId);
        } catch (SQLException e) {
            throw failed("appending an op to bucket " + p.bucket(), e);
        }
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
        try {
            w.ops.flush();
            w.rows.flush();
            w.deltas.flush();
            w.sourceXids.write(sourceXids);
            w.updateState.setLong(1, lastOpId);
            w.updateState.setLong(2, position.value());
            if (checkpoint == null) {
                w.updateState.setNull(3, Types.INTEGER);
                w.updateState.setNull(4, Types.INTEGER);
            } else {
                w.updateState.setLong(3, lastOpId);
                w.updateState.setLong(4, position.value());
            }
            w.updateState.executeUpdate();
            w.commitSql();
        } catch (SQLException e) {
            close();
            throw failed("committing", e);
        }
        done = true;
        w.finished(true);
        if (checkpoint != null) {
            w.listeners.announce(checkpoint, w.changes.drain());
        }
        return Optional.ofNullable(checkpoint);
    }

    @Override
    public void close() {
        if (!done) {
            done = true;
            w.finished(false);
        }
    }

    private void checkOpen() {
        if (done) {
            throw new IllegalStateException("write transaction already finished");
        }
    }

    private static StorageException failed(String what, SQLException e) {
        return new StorageException("storage write failed (" + what + "): " + e.getMessage(), e);
    }
}
