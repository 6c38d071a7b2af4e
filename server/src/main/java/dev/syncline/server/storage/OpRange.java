package dev.syncline.server.storage;

/**
 * A summary of a run of one bucket's ops: their wrapping 32-bit checksum sum, how many there are,
 * the newest op id (0 when the run is empty) and whether a CLEAR is among them. A CLEAR carries
 * the sum of ops before it, so a caller adding runs up must not add one that holds a CLEAR to a
 * total it already has for those earlier ops.
 */
public record OpRange(long checksum, long count, long lastOpId, boolean hasClear) {
    public static final OpRange EMPTY = new OpRange(0, 0, 0, false);
}
