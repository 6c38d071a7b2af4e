package dev.syncline.server.source.postgres.values;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses PostgreSQL's array text output ({@code array_out}) into nested lists of element texts.
 *
 * <p>The result is a {@code List<Object>} whose items are either a nested list (one per inner
 * dimension), the element's text with quoting and backslash escapes removed, or {@code null} for
 * an unquoted {@code NULL}. A leading bounds decoration such as {@code [0:1]=} (printed when a
 * lower bound is not 1) is dropped: only the elements are kept.
 */
final class PgArrayParser {
    private final String text;
    private final char delimiter;
    private int pos;

    private PgArrayParser(String text, char delimiter) {
        this.text = text;
        this.delimiter = delimiter;
    }

    /** {@code delimiter} is the element type's {@code typdelim}: ',' for all but box (';'). */
    static List<Object> parse(String text, char delimiter) {
        PgArrayParser parser = new PgArrayParser(text, delimiter);
        parser.skipBounds();
        List<Object> result = parser.array();
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw parser.error("unexpected text after the array");
        }
        return result;
    }

    private void skipBounds() {
        if (text.startsWith("[")) {
            int equals = text.indexOf('=');
            if (equals < 0 || !text.substring(0, equals).matches("(\\[-?\\d+:-?\\d+\\])+")) {
                throw error("malformed array bounds");
            }
            pos = equals + 1;
        }
    }

    private List<Object> array() {
        skipWhitespace();
        expect('{');
        List<Object> items = new ArrayList<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return items;
        }
        while (true) {
            skipWhitespace();
            char c = peek();
            items.add(c == '{' ? array() : c == '"' ? quoted() : unquoted());
            skipWhitespace();
            char next = next();
            if (next == '}') {
                return items;
            }
            if (next != delimiter) {
                pos--;
                throw error("expected '" + delimiter + "' or '}'");
            }
        }
    }

    private String quoted() {
        expect('"');
        StringBuilder value = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return value.toString();
            }
            value.append(c == '\\' ? next() : c);
        }
    }

    private String unquoted() {
        StringBuilder value = new StringBuilder();
        boolean escaped = false;
        int keep = 0; // length without trailing unescaped whitespace, which array_in ignores too
        while (true) {
            char c = peek();
            if (c == delimiter || c == '}' || c == '{' || c == '"') {
                break;
            }
            pos++;
            if (c == '\\') {
                value.append(next());
                escaped = true;
                keep = value.length();
            } else {
                value.append(c);
                if (!Character.isWhitespace(c)) {
                    keep = value.length();
                }
            }
        }
        value.setLength(keep);
        if (value.isEmpty()) {
            throw error("empty unquoted element");
        }
        return !escaped && value.toString().equalsIgnoreCase("NULL") ? null : value.toString();
    }

    private void skipWhitespace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private char peek() {
        if (pos >= text.length()) {
            throw error("unexpected end of array");
        }
        return text.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            pos--;
            throw error("expected '" + c + "'");
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at position " + pos);
    }
}
