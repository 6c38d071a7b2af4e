package dev.syncline.server.storage.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * A reader connection together with the statements prepared on it, pooled as one: a sync node
 * opens a read view per connection per checkpoint, and preparing the same few statements again
 * each time was a visible share of that cost. Not thread-safe (one view at a time uses it).
 */
final class SqliteReader implements AutoCloseable {
    private final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    SqliteReader(Connection connection) {
        this.connection = connection;
    }

    /** The statement for {@code sql}, prepared on first use. Close only its result sets. */
    PreparedStatement prepare(String sql) throws SQLException {
        PreparedStatement s = statements.get(sql);
        if (s == null) {
            s = connection.prepareStatement(sql);
            statements.put(sql, s);
        }
        return s;
    }

    @Override
    public void close() {
        for (PreparedStatement s : statements.values()) {
            try {
                s.close();
            } catch (SQLException ignored) {
                // closing the connection below releases it anyway
            }
        }
        statements.clear();
        try {
            connection.close();
        } catch (SQLException ignored) {
            // nothing more to release
        }
    }
}
