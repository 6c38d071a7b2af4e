package dev.syncline.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Op and bucket checksums as PowerSync clients check them (PROTOCOL.md §2). All values are
 * unsigned 32-bit integers carried in a {@code long} (0 .. 2^32-1).
 *
 * <p>A client only adds checksums up, so any deterministic per-op value would do; we use
 * PowerSync's definition so that a bucket built by either server has the same checksum:
 * the first four bytes, read little-endian, of SHA-256 over
 * {@code "put." + objectType + "." + objectId + "." + data} for a PUT and over
 * {@code "delete." + subkey} for a REMOVE, where the subkey is the opaque id of the source row
 * that the op belongs to (the same subkey its PUTs carry).
 *
 * <p>Pure and thread-safe.
 */
public final class OpChecksum {
    private static final long MASK = 0xFFFF_FFFFL;

    private OpChecksum() {}

    /** Checksum of a PUT of {@code dataJson} for the row {@code (objectType, objectId)}. */
    public static long put(String objectType, String objectId, String dataJson) {
        return ofText("put." + objectType + "." + objectId + "." + dataJson);
    }

    /** Checksum of a REMOVE of the source row identified by {@code subkey}. */
    public static long remove(String subkey) {
        return ofText("delete." + subkey);
    }

    /** {@code a + b} modulo 2^32: how a bucket's running checksum grows by one op. */
    public static long add(long a, long b) {
        return (a + b) & MASK;
    }

    /** Normalises any {@code long} (e.g. a sum of many checksums) into 0 .. 2^32-1. */
    public static long wrap(long sum) {
        return sum & MASK;
    }

    private static long ofText(String text) {
        byte[] d = sha256().digest(text.getBytes(StandardCharsets.UTF_8));
        return (d[0] & 0xFFL) | (d[1] & 0xFFL) << 8 | (d[2] & 0xFFL) << 16 | (d[3] & 0xFFL) << 24;
    }

    // Looking up a MessageDigest costs more than hashing a small row, and this runs once per op.
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    });

    private static MessageDigest sha256() {
        return SHA256.get();
    }
}
