package dev.syncline.protocol;

/**
 * A position in the one global, strictly increasing sequence of bucket operations. Every op gets
 * a fresh id; a checkpoint is the id of the last op at a committed boundary. On the wire an op id
 * is a decimal JSON string ({@link #toWireString()}), never a number: clients end the session on a
 * number.
 *
 * <p>{@link #ZERO} means "before every op" (an empty bucket, or a client with nothing yet); ids of
 * real ops start at 1.
 */
public record OpId(long value) implements Comparable<OpId> {
    public static final OpId ZERO = new OpId(0);

    public OpId {
        if (value < 0) {
            throw new IllegalArgumentException("op id must not be negative: " + value);
        }
    }

    /** Parses the wire form, a non-negative decimal integer; rejects anything else. */
    public static OpId parse(String wire) {
        if (wire == null || wire.isEmpty() || wire.length() > 19 || !wire.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not an op id (expected a decimal string such as \"42\"): " + wire);
        }
        try {
            return new OpId(Long.parseLong(wire));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("op id out of range: " + wire, e);
        }
    }

    public OpId next() {
        return new OpId(Math.addExact(value, 1));
    }

    public boolean isAfter(OpId other) { return value > other.value; }

    public static OpId max(OpId a, OpId b) { return a.value >= b.value ? a : b; }

    public String toWireString() {
        return Long.toString(value);
    }

    @Override
    public int compareTo(OpId o) {
        return Long.compare(value, o.value);
    }

    @Override
    public String toString() {
        return toWireString();
    }
}
