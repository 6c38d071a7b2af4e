package dev.syncline.server.storage.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bucket name → small integer id on the writer's connection, with a bounded cache. Ids created
 * inside a transaction that is rolled back disappear with it, so {@link #forget()} must be called
 * on rollback.
 */
final class BucketIds {
    private static final int CACHE = 100_000;

    private final PreparedStatement select;
    private final PreparedStatement insert;
    private final Map<String, Long> cache = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > CACHE;
        }
    };

    BucketIds(Connection c) throws SQLException {
        select = c.prepareStatement("SELECT id FROM buckets WHERE name = ?");
        insert = c.prepareStatement("INSERT INTO buckets (name) VALUES (?) RETURNING id");
    }

    long idOf(String bucket) throws SQLException {
        Long id = cache.get(bucket);
        if (id != null) {
            return id;
        }
        select.setString(1, bucket);
        try (ResultSet rs = select.executeQuery()) {
            if (rs.next()) {
                id = rs.getLong(1);
            }
        }
        if (id == null) {
            insert.setString(1, bucket);
            try (ResultSet rs = insert.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
        }
        cache.put(bucket, id);
        return id;
    }

    void forget() {
        cache.clear();
    }
}
