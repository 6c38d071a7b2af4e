package dev.syncline.server.storage.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Collects a write transaction's ops per bucket and stores each bucket's run as one segment row
 * ({@link OpSegments}). A segment is written when it reaches {@value #SEGMENT_BYTES} bytes (so
 * that a reader resuming inside it decodes a bounded amount), and all open segments are written
 * when together they exceed {@value #BUFFERED_BYTES} bytes or {@value #MAX_OPEN} buckets, and at
 * commit: memory stays bounded however large the transaction. Safe because nothing reads ops
 * through the writer's connection before commit, which flushes.
 */
final class OpSegmentBuffer {
    static final int SEGMENT_BYTES = 256 * 1024;
    static final int BUFFERED_BYTES = 8 * 1024 * 1024;
    static final int MAX_OPEN = 16_384;
    private static final int SPARE = 256;

    private final PreparedStatement insert;
    private final Map<Long, OpSegmentEncoder> open = new HashMap<>();
    /** Encoders of written segments, reused: a batch touches the same buckets over and over. */
    private final ArrayDeque<OpSegmentEncoder> spare = new ArrayDeque<>();
    private long buffered;

    OpSegmentBuffer(Connection c) throws SQLException {
        insert = c.prepareStatement(OpSegments.INSERT);
    }

    void add(long bucketId, long opId, int type, String objectType, String objectId, String subkey, String data,
             long checksum) throws SQLException {
        OpSegmentEncoder e = open.get(bucketId);
        if (e == null) {
            e = spare.isEmpty() ? new OpSegmentEncoder(512) : spare.pop();
            open.put(bucketId, e);
        }
        int before = e.size();
        e.add(opId, type, objectType, objectId, subkey, data, checksum);
        buffered += e.size() - before;
        if (e.size() >= SEGMENT_BYTES) {
            write(bucketId, e);
            open.remove(bucketId);
            recycle(e);
        } else if (buffered >= BUFFERED_BYTES || open.size() > MAX_OPEN) {
            flush();
        }
    }

    void flush() throws SQLException {
        for (Map.Entry<Long, OpSegmentEncoder> entry : open.entrySet()) {
            write(entry.getKey(), entry.getValue());
        }
        discard();
    }

    void discard() {
        open.values().forEach(this::recycle);
        open.clear();
        buffered = 0;
    }

    private void write(long bucketId, OpSegmentEncoder e) throws SQLException {
        OpSegments.bind(insert, bucketId, e);
        insert.executeUpdate();
        buffered -= e.size();
    }

    private void recycle(OpSegmentEncoder e) {
        // A segment that grew to the maximum keeps its large array only if it is worth it: buckets
        // that big are few, and the pool must not pin SEGMENT_BYTES per bucket.
        if (spare.size() < SPARE && e.capacity() <= 64 * 1024) {
            e.reset();
            spare.push(e);
        }
    }
}
