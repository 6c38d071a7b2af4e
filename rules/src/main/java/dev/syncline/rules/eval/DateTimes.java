package dev.syncline.rules.eval;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The deterministic part of SQLite's {@code datetime()} and {@code unixepoch()}: time strings
 * ({@code YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|±HH:MM]}), Julian day numbers, and the modifiers
 * {@code 'unixepoch'} and {@code 'subsec'}. {@code 'now'} is refused because the same row must
 * always land in the same buckets. Anything else yields NULL, as SQLite does for bad input.
 */
final class DateTimes {

    private static final Pattern TIME = Pattern.compile(
            "(-?\\d{4})-(\\d{2})-(\\d{2})(?:[ T](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d+))?)?)?\\s*(Z|[+-]\\d{2}:?\\d{2})?",
            Pattern.CASE_INSENSITIVE);
    private static final long JULIAN_EPOCH_MS = 210866760000000L; // Julian day 0 → Unix epoch, in ms

    private static final long MIN_MS = -210866760000000L; // Julian day 0
    private static final long MAX_MS = 253402300799999L; // 9999-12-31T23:59:59.999Z

    private DateTimes() {}

    /** Milliseconds since the Unix epoch, or null when the input or a modifier is not understood. */
    static Long toEpochMillis(SqlValue time, List<SqlValue> modifiers) {
        boolean unixepoch = false;
        for (SqlValue m : modifiers) {
            String mod = SqlValues.toText(m);
            if (mod == null) {
                return null;
            }
            mod = mod.trim().toLowerCase(Locale.ROOT);
            if (mod.equals("unixepoch")) {
                unixepoch = true;
            } else if (!mod.equals("subsec") && !mod.equals("subsecond")) {
                return null;
            }
        }
        Long ms = switch (time) {
            case SqlValue.Null n -> null;
            case SqlValue.Int i -> numeric(i.value(), unixepoch);
            case SqlValue.Real r -> numeric(r.value(), unixepoch);
            case SqlValue.Text t -> unixepoch ? numericText(t.value()) : parse(t.value());
        };
        // SQLite's valid range: Julian day 0 (-4713-11-24 12:00) up to the end of year 9999.
        return ms == null || ms < MIN_MS || ms > MAX_MS ? null : ms;
    }

    static boolean subsec(List<SqlValue> modifiers) {
        for (SqlValue m : modifiers) {
            String mod = SqlValues.toText(m);
            if (mod != null && (mod.trim().equalsIgnoreCase("subsec") || mod.trim().equalsIgnoreCase("subsecond"))) {
                return true;
            }
        }
        return false;
    }

    private static Long numeric(double value, boolean unixepoch) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return null;
        }
        return unixepoch ? Math.round(value * 1000.0) : Math.round(value * 86400000.0) - JULIAN_EPOCH_MS;
    }

    private static Long numericText(String text) {
        return switch (SqlValues.applyNumericAffinity(new SqlValue.Text(text))) {
            case SqlValue.Int i -> numeric(i.value(), true);
            case SqlValue.Real r -> numeric(r.value(), true);
            default -> null; // 'unixepoch' needs a number: '12abc' is not one
        };
    }

    private static Long parse(String text) {
        String s = text.trim();
        if (s.equalsIgnoreCase("now")) {
            return null;
        }
        Matcher m = TIME.matcher(s);
        if (!m.matches()) {
            // A time string that is entirely a number is a Julian day number; '12abc' is nothing.
            SqlValue n = SqlValues.applyNumericAffinity(new SqlValue.Text(s));
            return switch (n) {
                case SqlValue.Int i -> numeric(i.value(), false);
                case SqlValue.Real r -> numeric(r.value(), false);
                default -> null;
            };
        }
        try {
            int year = Integer.parseInt(m.group(1));
            int month = Integer.parseInt(m.group(2));
            int day = Integer.parseInt(m.group(3));
            int hour = m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
            int minute = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
            int second = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
            int millis = 0;
            if (m.group(7) != null) {
                String frac = (m.group(7) + "000").substring(0, 4);
                millis = (Integer.parseInt(frac) + 5) / 10; // SQLite keeps milliseconds, rounded
            }
            if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 59) {
                return null;
            }
            // SQLite accepts day 31 of any month and rolls over; LocalDateTime would refuse, so add days.
            LocalDateTime base = LocalDateTime.of(year, month, 1, 0, 0);
            long epochMs = base.toEpochSecond(ZoneOffset.UTC) * 1000L
                    + (day - 1) * 86400000L + hour * 3600000L + minute * 60000L + second * 1000L + millis;
            String zone = m.group(8);
            if (zone != null && !zone.equalsIgnoreCase("z")) {
                String digits = zone.substring(1).replace(":", "");
                int offsetMinutes = Integer.parseInt(digits.substring(0, 2)) * 60 + Integer.parseInt(digits.substring(2));
                epochMs -= (zone.charAt(0) == '-' ? -1L : 1L) * offsetMinutes * 60000L;
            }
            return epochMs;
        } catch (RuntimeException e) {
            return null;
        }
    }

    static SqlValue datetime(SqlValue time, List<SqlValue> modifiers) {
        Long ms = toEpochMillis(time, modifiers);
        if (ms == null) {
            return SqlValue.nullValue();
        }
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(ms, 1000L), (int) Math.floorMod(ms, 1000L) * 1_000_000,
                ZoneOffset.UTC);
        // Negative (astronomical) years print as '-' and four digits, as SQLite does.
        String s = String.format(Locale.ROOT, "%s%04d-%02d-%02d %02d:%02d:%02d", t.getYear() < 0 ? "-" : "",
                Math.abs(t.getYear()), t.getMonthValue(),
                t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond());
        if (subsec(modifiers)) {
            s += String.format(Locale.ROOT, ".%03d", t.getNano() / 1_000_000);
        }
        return new SqlValue.Text(s);
    }

    static SqlValue unixepoch(SqlValue time, List<SqlValue> modifiers) {
        Long ms = toEpochMillis(time, modifiers);
        if (ms == null) {
            return SqlValue.nullValue();
        }
        if (subsec(modifiers)) {
            return new SqlValue.Real(ms / 1000.0);
        }
        return new SqlValue.Int(ms / 1000L); // C division truncates toward zero, as SQLite does
    }
}
