package dev.syncline.server.storage;

/**
 * A position in the source's commit order, as storage keeps it: an unsigned 64-bit number that
 * only grows (for PostgreSQL, the LSN of a commit; the source adapter converts). Storage compares
 * and stores positions but never interprets them, so a backend stays independent of the source.
 */
public record CommitPosition(long value) implements Comparable<CommitPosition> {
    /** Before anything: no source transaction stored yet. */
    public static final CommitPosition ZERO = new CommitPosition(0);

    public boolean isAfter(CommitPosition other) {
        return compareTo(other) > 0;
    }

    public boolean isAtOrBefore(CommitPosition other) {
        return compareTo(other) <= 0;
    }

    public static CommitPosition max(CommitPosition a, CommitPosition b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public int compareTo(CommitPosition o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return Long.toUnsignedString(value);
    }
}
