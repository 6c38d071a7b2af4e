package dev.syncline.server.storage;

/**
 * Shrinks bucket logs without changing what any client ends up with.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Only ops at or below the latest checkpoint are touched.</li>
 *   <li>A PUT or REMOVE superseded by a later op on the same row key (object type, object id,
 *       subkey) in the same bucket becomes a MOVE with the same op id and checksum.</li>
 *   <li>A bucket prefix holding no live PUT may collapse into one CLEAR whose op id is the last
 *       replaced id and whose checksum is the wrapping sum of the replaced checksums.</li>
 *   <li>Hence a bucket's checksum never changes, and a client resuming from any op id it was ever
 *       sent ends up with the same rows as without compaction.</li>
 *   <li>May run concurrently with the writer and with readers (it takes the write lock in short
 *       transactions, one bucket at a time).</li>
 * </ul>
 */
public interface BucketCompactor {

    /** Compacts every bucket. */
    CompactionResult compactAll();

    /** Compacts one bucket. */
    CompactionResult compact(String bucket);

    /** What a compaction run did. */
    record CompactionResult(long buckets, long movedOps, long clearedOps) {
        public CompactionResult plus(CompactionResult o) {
            return new CompactionResult(buckets + o.buckets, movedOps + o.movedOps, clearedOps + o.clearedOps);
        }
    }
}
