package dev.syncline.rules.value;

import java.util.Objects;

/**
 * A value as SQLite sees it: the four storage classes that synced rows carry to clients
 * (NULL, INTEGER, REAL, TEXT). Source values are mapped into these exactly as PROTOCOL.md §7
 * says; sync-rule expressions evaluate over them with SQLite semantics.
 *
 * <p>Values that SQLite cannot hold exactly as a number (numeric with 40 digits, say) arrive as
 * {@link Text}, so nothing is rounded on the way.
 */
public sealed interface SqlValue {

    /** SQL NULL. */
    enum Null implements SqlValue { INSTANCE }

    /** A 64-bit signed integer; int8 values beyond 2^53 stay exact. */
    record Int(long value) implements SqlValue {}

    /** An IEEE double. */
    record Real(double value) implements SqlValue {}

    /** UTF-8 text. */
    record Text(String value) implements SqlValue {
        public Text {
            Objects.requireNonNull(value, "value");
        }
    }

    static SqlValue nullValue() { return Null.INSTANCE; }
    static SqlValue of(long value) { return new Int(value); }
    static SqlValue of(double value) { return new Real(value); }
    static SqlValue of(String value) { return value == null ? Null.INSTANCE : new Text(value); }
}
