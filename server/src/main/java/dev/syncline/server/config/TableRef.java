package dev.syncline.server.config;

/** A source table named in {@code capture.tables}; {@code schema} is {@code public} when not written. */
public record TableRef(String schema, String table) {
    @Override
    public String toString() { return schema + "." + table; }
}
