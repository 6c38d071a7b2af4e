package dev.syncline.rules.sql;

/** A lexical token; {@code text} is the identifier (unquoted), string content, number or operator. */
record Token(Kind kind, String text, int pos) {

    enum Kind { IDENT, QUOTED_IDENT, STRING, INTEGER, REAL, OP, END }

    boolean isKeyword(String keyword) {
        return kind == Kind.IDENT && text.equalsIgnoreCase(keyword);
    }

    boolean isOp(String op) {
        return kind == Kind.OP && text.equals(op);
    }

    String describe() {
        return switch (kind) {
            case END -> "end of query";
            case STRING -> "'" + text + "'";
            default -> "'" + text + "'";
        };
    }
}
