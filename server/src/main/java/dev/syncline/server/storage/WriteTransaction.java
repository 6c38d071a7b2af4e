package dev.syncline.server.storage;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpId;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.source.postgres.TableName;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One atomic unit of writes: the ops, source-row state and position of one or several whole
 * source transactions (or of one snapshot chunk).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Reads ({@link #sourceRow}, {@link #sourceRows}) see this transaction's own writes.</li>
 *   <li>Every {@link #put}/{@link #remove} gets a fresh op id, greater than every op id committed
 *       before — also by earlier runs on the same storage. Ids of a transaction that was rolled
 *       back may be handed out again: nobody could have seen them.</li>
 *   <li>Each op adds its checksum to its bucket's running checksum (wrapping at 2^32) and one to
 *       its op count; the row count follows the placements saved with {@link #saveSourceRow}.</li>
 *   <li>{@link #commit} makes everything durable (it survives a crash or power loss once it
 *       returns) together with the position, then announces the new checkpoint to listeners.</li>
 *   <li>{@link #close()} without commit discards everything; a crash before commit returns does
 *       the same.</li>
 *   <li>The transaction can be arbitrarily large: implementations must not hold its writes in
 *       memory.</li>
 * </ul>
 */
public interface WriteTransaction extends AutoCloseable {

    Optional<StoredSourceRow> sourceRow(SourceRowId id);

    /** Up to {@code limit} stored rows of a table (any order); used to remove a truncated table page by page. */
    Map<SourceRowId, StoredSourceRow> sourceRows(TableName table, int limit);

    /**
     * Stores a row's new state and updates the parameter-lookup index from {@code previous}
     * (what {@link #sourceRow} returned in this transaction, or null) to {@code next}.
     */
    void saveSourceRow(SourceRowId id, StoredSourceRow previous, StoredSourceRow next);

    /** Forgets a row and its parameter entries; {@code previous} as for {@link #saveSourceRow}. */
    void deleteSourceRow(SourceRowId id, StoredSourceRow previous);

    default OpId put(String bucket, String objectType, String objectId, String subkey, String dataJson) {
        return put(bucket, objectType, objectId, subkey, dataJson, OpChecksum.put(objectType, objectId, dataJson));
    }

    /**
     * A PUT whose checksum the caller computed already ({@code checksum} must equal
     * {@link OpChecksum#put}{@code (objectType, objectId, dataJson)}): a row in several buckets
     * then hashes its data once, and the hashing can run on another thread.
     */
    OpId put(String bucket, String objectType, String objectId, String subkey, String dataJson, long checksum);

    default OpId remove(String bucket, String objectType, String objectId, String subkey) {
        return remove(bucket, objectType, objectId, subkey, OpChecksum.remove(subkey));
    }

    /** A REMOVE whose checksum the caller computed already: it must equal {@link OpChecksum#remove}{@code (subkey)}. */
    OpId remove(String bucket, String objectType, String objectId, String subkey, long checksum);

    void snapshotProgress(SnapshotProgress progress);

    /**
     * Records, as part of this transaction, that {@code position} will be confirmed to the source
     * once this transaction is durable. {@link BucketWriter#loadState()} returns the highest such
     * position ({@code CaptureState.acknowledged}), so a restart can tell that a slot moved past
     * what this storage ever confirmed.
     */
    void acknowledged(Lsn position);

    /**
     * Commits durably.
     *
     * @param commitLsn the commit LSN of the last source transaction included, or null if this
     *                  transaction holds no source transaction (a snapshot chunk)
     * @param consistent true if the stored state is a consistent image of the source (the copy is
     *                   complete and the stream has passed its consistent point): only then is a
     *                   checkpoint recorded and announced
     * @return the new checkpoint, if one was recorded
     */
    Optional<Checkpoint> commit(Lsn commitLsn, boolean consistent);

    /** Rolls back unless committed. */
    @Override
    void close();
}
