package dev.syncline.server.storage;

import dev.syncline.protocol.OpChecksum;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a client holds for one bucket after applying ops in order, the way a PowerSync client
 * does: PUT sets the row, REMOVE deletes it, MOVE only counts, CLEAR drops everything and replaces
 * the running checksum with its own.
 */
public final class ReducedBucket {
    /** A client row key. */
    public record RowKey(String objectType, String objectId, String subkey) {}

    public final Map<RowKey, String> rows = new HashMap<>();
    public long checksum;

    public static ReducedBucket of(List<BucketOp> ops) {
        ReducedBucket b = new ReducedBucket();
        ops.forEach(b::apply);
        return b;
    }

    public ReducedBucket copy() {
        ReducedBucket b = new ReducedBucket();
        b.rows.putAll(rows);
        b.checksum = checksum;
        return b;
    }

    public void apply(BucketOp op) {
        switch (op) {
            case BucketOp.Put p -> rows.put(new RowKey(p.objectType(), p.objectId(), p.subkey()), p.dataJson());
            case BucketOp.Remove r -> rows.remove(new RowKey(r.objectType(), r.objectId(), r.subkey()));
            case BucketOp.Move m -> { }
            case BucketOp.Clear c -> rows.clear();
        }
        checksum = op instanceof BucketOp.Clear ? op.checksum() : OpChecksum.add(checksum, op.checksum());
    }

    /** Rows by (type, id), failing if two source rows share one: the tests' rules never do that. */
    public Map<List<String>, String> rowsByTypeAndId() {
        Map<List<String>, String> out = new HashMap<>();
        rows.forEach((k, v) -> {
            if (out.put(List.of(k.objectType(), k.objectId()), v) != null) {
                throw new AssertionError("two source rows as " + k.objectType() + "/" + k.objectId());
            }
        });
        return out;
    }
}
