package dev.syncline.server.config;

/**
 * One thing wrong with a configuration: where ({@code source}, line and column when known), which
 * key ({@code replication.connections[0].sslmode}; empty for the whole file) and what to do about it.
 */
public record ConfigProblem(String source, String key, int line, int column, String message) {

    /** {@code <file>:<line>:<col>: <key>: <message>}, leaving out the parts that are unknown. */
    public String format() {
        StringBuilder out = new StringBuilder(source);
        if (line > 0) {
            out.append(':').append(line).append(':').append(column);
        }
        out.append(": ");
        if (!key.isEmpty()) {
            out.append(key).append(": ");
        }
        return out.append(message).toString();
    }

    @Override
    public String toString() { return format(); }
}
