package dev.syncline.server.source.postgres;

/**
 * A PostgreSQL write-ahead-log position. Compared unsigned, printed as PostgreSQL prints it
 * ({@code 16/B374D848}). Never pass LSNs around as strings inside the server.
 */
public record Lsn(long value) implements Comparable<Lsn> {
    public static final Lsn ZERO = new Lsn(0);

    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("not an LSN (expected e.g. 16/B374D848): " + text);
        }
        long high = Long.parseLong(text.substring(0, slash), 16);
        long low = Long.parseLong(text.substring(slash + 1), 16);
        if (high > 0xFFFF_FFFFL || low > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("LSN part out of range: " + text);
        }
        return new Lsn((high << 32) | low);
    }

    public boolean isAfter(Lsn other) { return compareTo(other) > 0; }
    public boolean isAtOrBefore(Lsn other) { return compareTo(other) <= 0; }
    public static Lsn max(Lsn a, Lsn b) { return a.compareTo(b) >= 0 ? a : b; }

    @Override
    public int compareTo(Lsn o) { return Long.compareUnsigned(value, o.value); }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFF_FFFFL).toUpperCase();
    }
}
