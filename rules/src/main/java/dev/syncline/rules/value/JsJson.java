package dev.syncline.rules.value;

import java.math.BigDecimal;

/**
 * JSON text written the way JavaScript's {@code JSON.stringify} writes it.
 *
 * <p>Bucket ids and row data must be byte-identical to what the PowerSync service produces, or
 * clients that already hold buckets would see them as new ones. PowerSync serialises with
 * JavaScript number formatting (an integral REAL prints as an integer, exponents from 1e21) and
 * JavaScript string escaping, so we reproduce both here instead of relying on Jackson's output.
 */
public final class JsJson {

    private JsJson() {}

    /** Appends {@code value} as a JSON value: NULL → null, Int → digits, Real → JS number, Text → string. */
    public static void appendValue(StringBuilder out, SqlValue value) {
        switch (value) {
            case SqlValue.Null n -> out.append("null");
            case SqlValue.Int i -> out.append(i.value());
            case SqlValue.Real r -> appendNumber(out, r.value());
            case SqlValue.Text t -> appendString(out, t.value());
        }
    }

    /** Appends a double as JavaScript prints it; NaN and infinities become {@code null} as in JSON.stringify. */
    public static void appendNumber(StringBuilder out, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            out.append("null");
        } else {
            out.append(numberToString(d));
        }
    }

    /** JavaScript's Number.prototype.toString for finite values (ECMA-262 Number::toString). */
    public static String numberToString(double d) {
        if (d == 0) {
            return "0";
        }
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        // Double.toString yields the shortest digits that round-trip (JDK 19+), as JS does.
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int k = digits.length();
        int n = k - bd.scale(); // value = 0.digits × 10^n
        StringBuilder sb = new StringBuilder();
        if (d < 0) {
            sb.append('-');
        }
        if (k <= n && n <= 21) {
            sb.append(digits).append("0".repeat(n - k));
        } else if (0 < n && n <= 21) {
            sb.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-6 < n && n <= 0) {
            sb.append("0.").append("0".repeat(-n)).append(digits);
        } else {
            sb.append(digits.charAt(0));
            if (k > 1) {
                sb.append('.').append(digits, 1, k);
            }
            int e = n - 1;
            sb.append('e').append(e < 0 ? '-' : '+').append(Math.abs(e));
        }
        return sb.toString();
    }

    /** Appends a JSON string literal escaped like JSON.stringify (well-formed variant: lone surrogates as \\uXXXX). */
    public static void appendString(StringBuilder out, String s) {
        out.append('"');
        int len = s.length();
        int clean = 0;
        while (clean < len) {
            char c = s.charAt(clean);
            if (c < 0x20 || c == '"' || c == '\\' || Character.isSurrogate(c)) {
                break;
            }
            clean++;
        }
        // Most text needs no escaping: copy it in one go (this is on the per-row path). append(String)
        // copies the backing array; append(CharSequence, start, end) would go char by char.
        if (clean == len) {
            out.append(s).append('"');
            return;
        }
        out.append(s, 0, clean);
        for (int i = clean; i < len; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        appendUnicodeEscape(out, c);
                    } else if (Character.isHighSurrogate(c)) {
                        if (i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                            out.append(c).append(s.charAt(++i));
                        } else {
                            appendUnicodeEscape(out, c);
                        }
                    } else if (Character.isLowSurrogate(c)) {
                        appendUnicodeEscape(out, c);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void appendUnicodeEscape(StringBuilder out, char c) {
        String hex = Integer.toHexString(c);
        out.append("\\u").append("0".repeat(4 - hex.length())).append(hex);
    }
}
