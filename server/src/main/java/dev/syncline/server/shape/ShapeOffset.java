package dev.syncline.server.shape;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Where a shape is: the checkpoint op id its rows were read at and a fingerprint of the buckets the
 * user's grant held then. Together with the handle (which names the table, filter, columns, user and
 * sync rules) that is everything the shape's rows depend on, so every node of a deployment derives
 * the same offset for the same rows, and a node that has never seen a handle can rebuild the rows
 * of any offset from storage ({@link ShapeLog#rebuild}). A grant change that moves no op id (a
 * membership row) still moves the offset, since the fingerprint changes with the bucket set.
 *
 * <p>On the wire it is one number, {@code opId × 10^12 + grant}, then {@code _0}: Electric's SSE
 * clients take their next offset from the up-to-date message's {@code global_last_seen_lsn} as
 * {@code <number>_0}, so everything has to fit in the first part.
 *
 * @param grant the fingerprint of the granted buckets, 0 .. 10^12-1 ({@link #grantOf})
 */
public record ShapeOffset(long opId, long grant) {
    static final long GRANT_RANGE = 1_000_000_000_000L;
    private static final BigInteger RANGE = BigInteger.valueOf(GRANT_RANGE);
    private static final BigInteger MAX_OP_ID = BigInteger.valueOf(Long.MAX_VALUE);

    public ShapeOffset {
        if (opId < 0 || grant < 0 || grant >= GRANT_RANGE) {
            throw new IllegalArgumentException("not a shape offset: " + opId + "/" + grant);
        }
    }

    /** The offset of the rows of {@code buckets} at op id {@code opId}. */
    public static ShapeOffset of(long opId, Collection<String> buckets) {
        return new ShapeOffset(opId, grantOf(buckets));
    }

    /**
     * A fingerprint of a bucket set (order-free): 40 bits of SHA-256 over the sorted names, so two
     * sets a user's grant moves between collide with a chance of about 10^-12.
     */
    public static long grantOf(Collection<String> buckets) {
        List<String> names = new ArrayList<>(buckets);
        names.sort(null);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String name : names) {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            byte[] d = sha.digest();
            long bits = 0;
            for (int i = 0; i < 5; i++) {
                bits = bits << 8 | (d[i] & 0xFFL);
            }
            return bits % GRANT_RANGE;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The offset written as {@code digits} (the part before {@code _}), or null when it is none. */
    static ShapeOffset parse(String digits) {
        if (digits.isEmpty() || digits.length() > 32 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        BigInteger[] parts = new BigInteger(digits).divideAndRemainder(RANGE);
        if (parts[0].compareTo(MAX_OP_ID) > 0) {
            return null;
        }
        return new ShapeOffset(parts[0].longValueExact(), parts[1].longValueExact());
    }

    /** The number Electric's {@code global_last_seen_lsn} carries and the offset starts with. */
    public String number() {
        return BigInteger.valueOf(opId).multiply(RANGE).add(BigInteger.valueOf(grant)).toString();
    }

    /** Electric's {@code <number>_0} form. */
    @Override
    public String toString() {
        return number() + "_0";
    }
}
