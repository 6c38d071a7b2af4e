package dev.syncline.rules.sql;

import java.util.ArrayList;
import java.util.List;

/** Splits SQL text into tokens, keeping each token's offset. */
final class Lexer {

    private static final String[] OPERATORS = {
        "->>", "->", "::", "||", "<=", ">=", "!=", "<>", "==", "=", "<", ">", "+", "-", "*", "/", "%",
        "(", ")", ",", ".", ";"
    };

    private Lexer() {}

    static List<Token> tokenize(String sql) throws SqlSyntaxException {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new SqlSyntaxException(i, "unterminated /* comment", "close the comment with */");
                }
                i = end + 2;
            } else if (c == '\'') {
                int start = i;
                StringBuilder sb = new StringBuilder();
                i++;
                while (true) {
                    if (i >= n) {
                        throw new SqlSyntaxException(start, "unterminated string literal",
                                "close the string with ' (write '' for a quote inside it)");
                    }
                    char d = sql.charAt(i);
                    if (d == '\'') {
                        if (i + 1 < n && sql.charAt(i + 1) == '\'') {
                            sb.append('\'');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    sb.append(d);
                    i++;
                }
                tokens.add(new Token(Token.Kind.STRING, sb.toString(), start));
            } else if (c == '"') {
                int start = i;
                int end = sql.indexOf('"', i + 1);
                if (end < 0) {
                    throw new SqlSyntaxException(start, "unterminated quoted identifier", "close the identifier with \"");
                }
                tokens.add(new Token(Token.Kind.QUOTED_IDENT, sql.substring(i + 1, end), start));
                i = end + 1;
            } else if (isDigit(c) || (c == '.' && i + 1 < n && isDigit(sql.charAt(i + 1)))) {
                int start = i;
                boolean real = false;
                while (i < n && isDigit(sql.charAt(i))) {
                    i++;
                }
                if (i < n && sql.charAt(i) == '.') {
                    real = true;
                    i++;
                    while (i < n && isDigit(sql.charAt(i))) {
                        i++;
                    }
                }
                if (i < n && (sql.charAt(i) == 'e' || sql.charAt(i) == 'E')) {
                    int j = i + 1;
                    if (j < n && (sql.charAt(j) == '+' || sql.charAt(j) == '-')) {
                        j++;
                    }
                    if (j < n && isDigit(sql.charAt(j))) {
                        real = true;
                        i = j;
                        while (i < n && isDigit(sql.charAt(i))) {
                            i++;
                        }
                    }
                }
                if (i < n && isIdentStart(sql.charAt(i))) {
                    throw new SqlSyntaxException(start, "malformed number '" + sql.substring(start, i + 1) + "'",
                            "separate the number from the following word");
                }
                tokens.add(new Token(real ? Token.Kind.REAL : Token.Kind.INTEGER, sql.substring(start, i), start));
            } else if (isIdentStart(c)) {
                int start = i;
                while (i < n && (isIdentStart(sql.charAt(i)) || isDigit(sql.charAt(i)) || sql.charAt(i) == '$')) {
                    i++;
                }
                tokens.add(new Token(Token.Kind.IDENT, sql.substring(start, i), start));
            } else {
                String op = null;
                for (String candidate : OPERATORS) {
                    if (sql.startsWith(candidate, i)) {
                        op = candidate;
                        break;
                    }
                }
                if (op == null) {
                    throw new SqlSyntaxException(i, "unexpected character '" + c + "'",
                            "remove it; sync rules accept a subset of SQLite syntax (see docs/sync-rules.md)");
                }
                tokens.add(new Token(Token.Kind.OP, op, i));
                i += op.length();
            }
        }
        tokens.add(new Token(Token.Kind.END, "", n));
        return tokens;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isIdentStart(char c) {
        return c == '_' || Character.isLetter(c);
    }
}
