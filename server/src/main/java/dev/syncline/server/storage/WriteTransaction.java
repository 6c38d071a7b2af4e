package dev.syncline.server.storage;

import dev.syncline.protocol.OpChecksum;
import dev.syncline.protocol.OpId;

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

    /**
     * A hint that the rows {@code ids} are about to be read with {@link #sourceRow}: a backend whose
     * reads cost a round trip reads them all at once. Changes nothing; the default does nothing.
     */
    default void prefetch(java.util.Collection<SourceRowId> ids) {
    }

    /** Up to {@code limit} stored rows of a table (any order); used to remove a truncated table page by page. */
    Map<SourceRowId, StoredSourceRow> sourceRows(TableId table, int limit);

    /**
     * Stores a row's new state and updates the parameter-lookup index from {@code previous}
     * (what {@link #sourceRow} returned in this transaction, or null) to {@code next}.
     */
    void saveSourceRow(SourceRowId id, StoredSourceRow previous, StoredSourceRow next);

    /** Forgets a row and its parameter entries; {@code previous} as for {@link #saveSourceRow}. */
    void deleteSourceRow(SourceRowId id, StoredSourceRow previous);

    /**
     * A PUT of the client row {@code (placement.objectType, placement.objectId, subkey)} into
     * {@code placement.bucket}, carrying the row's full data.
     */
    default OpId put(Placement placement, String subkey, String dataJson) {
        return put(placement, subkey, dataJson, OpChecksum.put(placement.objectType(), placement.objectId(), dataJson));
    }

    /**
     * A PUT whose checksum the caller computed already ({@code checksum} must equal
     * {@link OpChecksum#put}{@code (objectType, objectId, dataJson)}): a row in several buckets
     * then hashes its data once, and the hashing can run on another thread.
     */
    OpId put(Placement placement, String subkey, String dataJson, long checksum);

    /** A REMOVE of the client row {@code (placement.objectType, placement.objectId, subkey)} from {@code placement.bucket}. */
    default OpId remove(Placement placement, String subkey) {
        return remove(placement, subkey, OpChecksum.remove(subkey));
    }

    /** A REMOVE whose checksum the caller computed already: it must equal {@link OpChecksum#remove}{@code (subkey)}. */
    OpId remove(Placement placement, String subkey, long checksum);

    /**
     * The ops appended since the previous call (or since {@link BucketWriter#begin}) came from the
     * source transaction {@code xid}; stored with the commit as a {@link SourceXid} and readable
     * through {@link ReadView#sourceXids}. Nothing is stored when no op was appended since. Storage
     * keeps at least the newest {@value #RETAINED_SOURCE_XIDS} such records; older ones may go.
     */
    void sourceTransaction(long xid);

    /** How many {@link SourceXid} records a backend keeps at least (a read-your-writes wait lasts seconds). */
    int RETAINED_SOURCE_XIDS = 100_000;

    /**
     * Makes every op id handed out from now on greater than {@code through} (no-op if they already
     * are). A new storage generation starts its op ids above the serving generation's, so a client
     * resuming with the old generation's positions misses none of the new one's ops.
     */
    void reserveOpIdsThrough(OpId through);

    /** Stores the source's snapshot progress (opaque to storage) with this transaction. */
    void snapshotProgress(String progress);

    /**
     * Records, as part of this transaction, that {@code position} will be confirmed to the source
     * once this transaction is durable. {@link BucketWriter#loadState()} returns the highest such
     * position ({@link WriterState#acknowledged()}), so a restart can tell that a slot moved past
     * what this storage ever confirmed.
     */
    void acknowledged(CommitPosition position);

    /**
     * Commits durably.
     *
     * @param commit the commit position of the last source transaction included, or null if this
     *               transaction holds no source transaction (a snapshot chunk); the stored position
     *               never moves back
     * @param consistent true if the stored state is a consistent image of the source (the copy is
     *                   complete and the stream has passed its consistent point): only then is a
     *                   checkpoint recorded and announced
     * @return the new checkpoint, if one was recorded
     */
    Optional<Checkpoint> commit(CommitPosition commit, boolean consistent);

    /** Rolls back unless committed. */
    @Override
    void close();
}
