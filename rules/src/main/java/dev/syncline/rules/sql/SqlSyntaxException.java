package dev.syncline.rules.sql;

/** A syntax error at a character offset of the SQL text, with a hint how to fix it. */
public final class SqlSyntaxException extends Exception {

    private final int offset;
    private final String fix;

    public SqlSyntaxException(int offset, String message, String fix) {
        super(message);
        this.offset = offset;
        this.fix = fix;
    }

    public int offset() {
        return offset;
    }

    public String fix() {
        return fix;
    }
}
