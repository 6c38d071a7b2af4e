package dev.syncline.rules.value;

import java.math.BigDecimal;

/**
 * SQLite's conversions between storage classes, as used by operators and functions.
 *
 * <p>Kept apart from {@link SqlValue} so the value type stays a plain data shape.
 */
public final class SqlValues {

    /** SQLite's truth values: comparisons and logic yield INTEGER 1 or 0. */
    public static final SqlValue TRUE = new SqlValue.Int(1);
    public static final SqlValue FALSE = new SqlValue.Int(0);

    private SqlValues() {}

    public static SqlValue bool(boolean b) {
        return b ? TRUE : FALSE;
    }

    public static boolean isNull(SqlValue v) {
        return v instanceof SqlValue.Null;
    }

    /** {@code typeof(x)}. */
    public static String typeName(SqlValue v) {
        return switch (v) {
            case SqlValue.Null n -> "null";
            case SqlValue.Int i -> "integer";
            case SqlValue.Real r -> "real";
            case SqlValue.Text t -> "text";
        };
    }

    /** Text form of a value as {@code CAST(x AS TEXT)} gives it; NULL stays null (Java null). */
    public static String toText(SqlValue v) {
        return switch (v) {
            case SqlValue.Null n -> null;
            case SqlValue.Int i -> Long.toString(i.value());
            case SqlValue.Real r -> realToText(r.value());
            case SqlValue.Text t -> t.value();
        };
    }

    /**
     * SQLite (3.54) prints a REAL with 15 significant digits when that reads back as the same
     * double, else with 17; it uses an exponent below 1e-4 and from 1e17, and always marks the
     * value as real ({@code 1.0}, {@code 1.0e+20}), so a REAL never reads back as an INTEGER.
     */
    public static String realToText(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Inf" : "-Inf";
        }
        if (d == 0) {
            return "0.0";
        }
        BigDecimal exact = new BigDecimal(d);
        BigDecimal bd = exact.round(new java.math.MathContext(15));
        if (bd.doubleValue() != d) {
            bd = exact.round(new java.math.MathContext(17));
        }
        bd = bd.stripTrailingZeros();
        String digits = bd.unscaledValue().abs().toString();
        int exp10 = digits.length() - bd.scale() - 1; // value = d.ddd × 10^exp10
        StringBuilder sb = new StringBuilder();
        if (d < 0) {
            sb.append('-');
        }
        if (exp10 < -4 || exp10 >= 17) {
            sb.append(digits.charAt(0)).append('.');
            sb.append(digits.length() > 1 ? digits.substring(1) : "0");
            sb.append('e').append(exp10 < 0 ? '-' : '+');
            int ae = Math.abs(exp10);
            if (ae < 10) {
                sb.append('0');
            }
            sb.append(ae);
        } else if (exp10 < 0) {
            sb.append("0.").append("0".repeat(-exp10 - 1)).append(digits);
        } else if (digits.length() <= exp10 + 1) {
            sb.append(digits).append("0".repeat(exp10 + 1 - digits.length())).append(".0");
        } else {
            sb.append(digits, 0, exp10 + 1).append('.').append(digits.substring(exp10 + 1));
        }
        return sb.toString();
    }

    /**
     * Numeric value of a value in arithmetic context: TEXT is read by its longest numeric prefix
     * ('12abc' → 12, 'abc' → 0), as SQLite does; NULL stays NULL.
     */
    public static SqlValue toNumeric(SqlValue v) {
        if (v instanceof SqlValue.Text t) {
            return parseNumericPrefix(t.value());
        }
        return v;
    }

    /** SQLite's text → number conversion for arithmetic and CAST(x AS NUMERIC). */
    public static SqlValue parseNumericPrefix(String s) {
        int i = 0;
        int n = s.length();
        while (i < n && isSpace(s.charAt(i))) {
            i++;
        }
        int start = i;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        int digitsStart = i;
        while (i < n && isDigit(s.charAt(i))) {
            i++;
        }
        boolean sawDigits = i > digitsStart;
        boolean real = false;
        if (i < n && s.charAt(i) == '.') {
            int j = i + 1;
            while (j < n && isDigit(s.charAt(j))) {
                j++;
            }
            if (sawDigits || j > i + 1) {
                sawDigits = true;
                real = true;
                i = j;
            }
        }
        if (!sawDigits) {
            return new SqlValue.Int(0);
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < n && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
                j++;
            }
            int expDigits = j;
            while (j < n && isDigit(s.charAt(j))) {
                j++;
            }
            if (j > expDigits) {
                real = true;
                i = j;
            }
        }
        String num = s.substring(start, i);
        if (!real) {
            try {
                return new SqlValue.Int(Long.parseLong(num));
            } catch (NumberFormatException tooBig) {
                return new SqlValue.Real(Double.parseDouble(num));
            }
        }
        return new SqlValue.Real(Double.parseDouble(num));
    }

    /**
     * {@code CAST(x AS INTEGER)}: reals truncate toward zero and saturate; text takes its longest
     * integer prefix only ({@code '1e3'} → 1, {@code '12.9'} → 12), saturating, as SQLite does.
     */
    public static SqlValue castInteger(SqlValue v) {
        return switch (v) {
            case SqlValue.Null n -> n;
            case SqlValue.Int i -> i;
            case SqlValue.Real r -> new SqlValue.Int(realToLong(r.value()));
            case SqlValue.Text t -> new SqlValue.Int(integerPrefix(t.value()));
        };
    }

    private static long integerPrefix(String s) {
        int i = 0;
        int n = s.length();
        while (i < n && isSpace(s.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        long value = 0;
        while (i < n && isDigit(s.charAt(i))) {
            int digit = s.charAt(i) - '0';
            // Accumulate negatively: the negative range is one larger, so MIN_VALUE parses exactly.
            if (value < (Long.MIN_VALUE + digit) / 10) {
                return negative ? Long.MIN_VALUE : Long.MAX_VALUE;
            }
            value = value * 10 - digit;
            i++;
        }
        if (negative) {
            return value;
        }
        return value == Long.MIN_VALUE ? Long.MAX_VALUE : -value;
    }

    /**
     * NUMERIC affinity as a comparison applies it: TEXT that is exactly a number (surrounding
     * spaces allowed) becomes that number; anything else is unchanged.
     */
    public static SqlValue applyNumericAffinity(SqlValue v) {
        if (!(v instanceof SqlValue.Text t)) {
            return v;
        }
        String s = t.value().strip();
        if (s.isEmpty()) {
            return v;
        }
        SqlValue num = parseNumericPrefix(s);
        // Only a full match counts: re-parse must consume everything.
        int end = numericPrefixLength(s);
        return end == s.length() ? num : v;
    }

    /** TEXT affinity: numbers become their text form. */
    public static SqlValue applyTextAffinity(SqlValue v) {
        return v instanceof SqlValue.Int || v instanceof SqlValue.Real ? new SqlValue.Text(toText(v)) : v;
    }

    private static int numericPrefixLength(String s) {
        int i = 0;
        int n = s.length();
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        int digits = i;
        while (i < n && isDigit(s.charAt(i))) {
            i++;
        }
        boolean any = i > digits;
        if (i < n && s.charAt(i) == '.') {
            int j = i + 1;
            while (j < n && isDigit(s.charAt(j))) {
                j++;
            }
            if (any || j > i + 1) {
                any = true;
                i = j;
            }
        }
        if (!any) {
            return -1;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < n && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
                j++;
            }
            int e = j;
            while (j < n && isDigit(s.charAt(j))) {
                j++;
            }
            if (j > e) {
                i = j;
            }
        }
        return i;
    }

    /** {@code CAST(x AS REAL)}. */
    public static SqlValue castReal(SqlValue v) {
        return switch (v) {
            case SqlValue.Null n -> n;
            case SqlValue.Int i -> new SqlValue.Real(i.value());
            case SqlValue.Real r -> r;
            case SqlValue.Text t -> {
                SqlValue num = parseNumericPrefix(t.value());
                yield num instanceof SqlValue.Int i ? new SqlValue.Real(i.value()) : num;
            }
        };
    }

    /** {@code CAST(x AS NUMERIC)}: an integral real that fits becomes INTEGER. */
    public static SqlValue castNumeric(SqlValue v) {
        SqlValue num = toNumeric(v);
        if (num instanceof SqlValue.Real r && v instanceof SqlValue.Text) {
            double d = r.value();
            if (d == Math.rint(d) && Math.abs(d) < 9.223372036854775E18) {
                return new SqlValue.Int((long) d);
            }
        }
        return num;
    }

    public static SqlValue castText(SqlValue v) {
        return isNull(v) ? v : new SqlValue.Text(toText(v));
    }

    static long realToLong(double d) {
        if (Double.isNaN(d)) {
            return 0;
        }
        return (long) d; // Java's cast truncates and saturates, as SQLite does
    }

    /** SQLite truthiness: NULL → null, otherwise the numeric value is non-zero. */
    public static Boolean truth(SqlValue v) {
        return switch (v) {
            case SqlValue.Null n -> null;
            case SqlValue.Int i -> i.value() != 0;
            case SqlValue.Real r -> r.value() != 0;
            case SqlValue.Text t -> {
                SqlValue num = parseNumericPrefix(t.value());
                yield num instanceof SqlValue.Int i ? i.value() != 0 : ((SqlValue.Real) num).value() != 0;
            }
        };
    }

    /** True only for a non-NULL truthy value, as a WHERE clause decides. */
    public static boolean isTrue(SqlValue v) {
        return Boolean.TRUE.equals(truth(v));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    }
}
