package dev.syncline.server.source.postgres.values;

/**
 * Normalises bytea output to PostgreSQL's hex form ({@code \x0a0b}, lower case), whichever
 * {@code bytea_output} setting produced it. Hex text is lossless, ASCII-only and accepted back by
 * PostgreSQL's bytea input, which the escape form is not unambiguously for clients.
 */
final class PgBytea {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private PgBytea() {}

    static String toHex(String text) {
        if (text.startsWith("\\x")) {
            return fromHex(text);
        }
        return fromEscape(text);
    }

    private static String fromHex(String text) {
        if (text.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        StringBuilder out = new StringBuilder(text.length()).append("\\x");
        for (int i = 2; i < text.length(); i++) {
            char c = Character.toLowerCase(text.charAt(i));
            if (Character.digit(c, 16) < 0) {
                throw new IllegalArgumentException("invalid hex digit '" + c + "'");
            }
            out.append(c);
        }
        return out.toString();
    }

    // The escape output form: printable ASCII as itself, "\\" for a backslash, "\nnn" (octal) for
    // every other byte. Escape output never starts with "\x", since a backslash prints as "\\".
    private static String fromEscape(String text) {
        StringBuilder out = new StringBuilder(text.length() * 2 + 2).append("\\x");
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            int b;
            if (c != '\\') {
                if (c > 0x7e) {
                    throw new IllegalArgumentException("non-ASCII character in escape format");
                }
                b = c;
                i++;
            } else if (i + 1 < text.length() && text.charAt(i + 1) == '\\') {
                b = '\\';
                i += 2;
            } else if (i + 3 < text.length() && isOctal(text, i + 1)) {
                b = Integer.parseInt(text.substring(i + 1, i + 4), 8);
                i += 4;
            } else {
                throw new IllegalArgumentException("invalid escape at position " + i);
            }
            out.append(HEX[b >> 4]).append(HEX[b & 0xf]);
        }
        return out.toString();
    }

    private static boolean isOctal(String text, int from) {
        for (int i = from; i < from + 3; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return text.charAt(from) <= '3';
    }
}
