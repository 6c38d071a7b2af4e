package dev.syncline.rules.eval;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the common shape of a JSON array column — flat strings without escapes, plain numbers,
 * true/false/null — without creating a parser. Returns null for anything else (nesting, escapes,
 * big numbers, malformed text) so the caller falls back to Jackson, which decides properly.
 */
final class FlatJsonArray {

    private FlatJsonArray() {}

    static List<SqlValue> parse(String s) {
        int n = s.length();
        int i = skip(s, 0);
        if (i >= n || s.charAt(i) != '[') {
            return null;
        }
        List<SqlValue> out = new ArrayList<>();
        i = skip(s, i + 1);
        if (i < n && s.charAt(i) == ']') {
            return skip(s, i + 1) == n ? out : null;
        }
        while (i < n) {
            char c = s.charAt(i);
            int end;
            if (c == '"') {
                end = i + 1;
                while (end < n && s.charAt(end) != '"') {
                    char d = s.charAt(end);
                    if (d == '\\' || d < 0x20) {
                        return null;
                    }
                    end++;
                }
                if (end >= n) {
                    return null;
                }
                out.add(new SqlValue.Text(s.substring(i + 1, end)));
                end++;
            } else if (s.startsWith("true", i)) {
                out.add(SqlValues.TRUE);
                end = i + 4;
            } else if (s.startsWith("false", i)) {
                out.add(SqlValues.FALSE);
                end = i + 5;
            } else if (s.startsWith("null", i)) {
                out.add(SqlValue.nullValue());
                end = i + 4;
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                end = i + 1;
                boolean integral = true;
                while (end < n) {
                    char d = s.charAt(end);
                    if (d >= '0' && d <= '9') {
                        end++;
                    } else if (d == '.' || d == 'e' || d == 'E' || d == '+' || d == '-') {
                        integral = false;
                        end++;
                    } else {
                        break;
                    }
                }
                if (!integral || end - i > 18 || (c == '0' && end - i > 1) || (c == '-' && end - i == 1)
                        || (c == '-' && end - i > 2 && s.charAt(i + 1) == '0')) {
                    return null; // reals, long or odd numbers: let Jackson validate and convert them
                }
                out.add(new SqlValue.Int(Long.parseLong(s, i, end, 10)));
            } else {
                return null;
            }
            i = skip(s, end);
            if (i >= n) {
                return null;
            }
            if (s.charAt(i) == ']') {
                return skip(s, i + 1) == n ? out : null;
            }
            if (s.charAt(i) != ',') {
                return null;
            }
            i = skip(s, i + 1);
        }
        return null;
    }

    private static int skip(String s, int i) {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                break;
            }
            i++;
        }
        return i;
    }
}
