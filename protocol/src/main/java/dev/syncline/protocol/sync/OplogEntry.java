package dev.syncline.protocol.sync;

import java.util.Objects;

/**
 * One op of a bucket's log as sent in a {@link SyncLine.Data} line. {@code objectType},
 * {@code objectId}, {@code subkey} and {@code data} are null where the op kind carries none (MOVE
 * and CLEAR carry only the id and checksum); {@code data} is the row as a JSON-encoded string.
 */
public record OplogEntry(long opId, Op op, String objectType, String objectId, String subkey, String data,
                         long checksum) {
    /** The op kinds of PROTOCOL.md §2. */
    public enum Op { PUT, REMOVE, MOVE, CLEAR }

    public OplogEntry {
        Objects.requireNonNull(op, "op");
        if (checksum < 0 || checksum > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("checksum must be an unsigned 32-bit value: " + checksum);
        }
    }
}
