package dev.syncline.server.source.postgres.values;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites PostgreSQL's ISO DateStyle output of date, timestamp and timestamptz as ISO 8601.
 *
 * <p>Years use astronomical numbering so they sort and compute: 1 BC is {@code 0000}, 44 BC is
 * {@code -0043}, years past 9999 carry a {@code +}. Fractional seconds are copied exactly as
 * printed (never parsed into a double or rounded); the UTC shift of a timestamptz only moves whole
 * seconds, because PostgreSQL's offsets are whole seconds. The calendar is proleptic Gregorian in
 * both PostgreSQL and {@code java.time}.
 */
final class PgDateTimes {
    private static final String DATE_PART = "(\\d{4,6})-(\\d{2})-(\\d{2})";
    private static final String TIME_PART = " (\\d{2}):(\\d{2}):(\\d{2})(\\.\\d{1,9})?";
    private static final Pattern DATE = Pattern.compile(DATE_PART + "( BC)?");
    private static final Pattern TIMESTAMP = Pattern.compile(DATE_PART + TIME_PART + "( BC)?");
    // Offsets print as +HH, +HH:MM or +HH:MM:SS (the last for local mean time before 1900-ish).
    private static final Pattern TIMESTAMPTZ = Pattern.compile(
            DATE_PART + TIME_PART + "([+-])(\\d{2})(?::(\\d{2}))?(?::(\\d{2}))?( BC)?");

    private PgDateTimes() {}

    static String date(String text) {
        if (isInfinity(text)) {
            return text;
        }
        Matcher m = matchOrFail(DATE, text);
        try {
            return formatDate(LocalDate.of(year(m.group(1), m.group(4) != null), intOf(m.group(2)), intOf(m.group(3))));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    static String timestamp(String text) {
        if (isInfinity(text)) {
            return text;
        }
        Matcher m = matchOrFail(TIMESTAMP, text);
        LocalDateTime local = localDateTime(m, m.group(8) != null);
        return formatDateTime(local) + fraction(m);
    }

    static String timestamptz(String text) {
        if (isInfinity(text)) {
            return text;
        }
        Matcher m = matchOrFail(TIMESTAMPTZ, text);
        LocalDateTime local = localDateTime(m, m.group(12) != null);
        int offset = intOf(m.group(9)) * 3600 + intOrZero(m.group(10)) * 60 + intOrZero(m.group(11));
        if (m.group(8).equals("-")) {
            offset = -offset;
        }
        return formatDateTime(local.minusSeconds(offset)) + fraction(m) + "Z";
    }

    private static boolean isInfinity(String text) {
        return text.equals("infinity") || text.equals("-infinity");
    }

    private static Matcher matchOrFail(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not in ISO DateStyle");
        }
        return m;
    }

    private static LocalDateTime localDateTime(Matcher m, boolean bc) {
        try {
            return LocalDateTime.of(year(m.group(1), bc), intOf(m.group(2)), intOf(m.group(3)),
                    intOf(m.group(4)), intOf(m.group(5)), intOf(m.group(6)));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static int year(String digits, boolean bc) {
        int year = intOf(digits);
        if (bc && year == 0) {
            throw new IllegalArgumentException("there is no year 0 BC");
        }
        return bc ? 1 - year : year;
    }

    private static String fraction(Matcher m) {
        String fraction = m.group(7);
        return fraction == null ? "" : fraction;
    }

    private static String formatDate(LocalDate d) {
        return formatYear(d.getYear()) + "-" + two(d.getMonthValue()) + "-" + two(d.getDayOfMonth());
    }

    private static String formatDateTime(LocalDateTime t) {
        return formatDate(t.toLocalDate()) + "T" + two(t.getHour()) + ":" + two(t.getMinute()) + ":"
                + two(t.getSecond());
    }

    static String formatYear(int year) {
        if (year < 0) {
            return "-" + String.format("%04d", -year);
        }
        return year > 9999 ? "+" + year : String.format("%04d", year);
    }

    private static String two(int n) {
        return n < 10 ? "0" + n : Integer.toString(n);
    }

    private static int intOf(String digits) {
        return Integer.parseInt(digits);
    }

    private static int intOrZero(String digits) {
        return digits == null ? 0 : Integer.parseInt(digits);
    }
}
