package dev.syncline.server.shape;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The shape logs this node keeps, by handle, least recently used first out. A handle is
 * {@code <definition hash>-<serial>}: the hash names the shape (table, where, params, columns,
 * replica, the user and the sync rules), the serial makes every log's handle new, so a client told
 * to refetch never gets a handle it has already seen expire. A log evicted (over {@code maxRows}
 * row versions or {@code maxLogs} logs) or lost at a restart answers its clients 409 must-refetch.
 */
public final class ShapeLogs {
    /** A log with the lock that serialises its use. */
    public record Entry(ShapeLog log, ReentrantLock lock) {}

    private final long maxRows;
    private final int maxLogs;
    private final LinkedHashMap<String, Entry> logs = new LinkedHashMap<>(16, 0.75f, true);
    private final AtomicLong serial = new AtomicLong(System.currentTimeMillis() * 1000);

    public ShapeLogs(long maxRows, int maxLogs) {
        this.maxRows = maxRows;
        this.maxLogs = maxLogs;
    }

    /** A handle no log has had, for a shape of {@code definitionHash}. */
    public String newHandle(String definitionHash) {
        return definitionHash + "-" + serial.incrementAndGet();
    }

    /** Whether {@code handle} was minted for a shape of {@code definitionHash}. */
    public static boolean belongsTo(String handle, String definitionHash) {
        return handle != null && handle.startsWith(definitionHash + "-");
    }

    public synchronized Entry get(String handle) {
        return handle == null ? null : logs.get(handle);
    }

    /** The log of {@code handle}, created by {@code create} when absent. */
    public synchronized Entry getOrCreate(String handle, Function<String, ShapeLog> create) {
        Entry e = logs.get(handle);
        if (e == null) {
            e = new Entry(create.apply(handle), new ReentrantLock());
            logs.put(handle, e);
        }
        return e;
    }

    /** Evicts least recently used logs over the limits; call after a log grew. */
    public synchronized void trim() {
        long rows = 0;
        for (Entry e : logs.values()) {
            rows += e.log().size();
        }
        Iterator<Map.Entry<String, Entry>> it = logs.entrySet().iterator();
        while (it.hasNext() && logs.size() > 1 && (rows > maxRows || logs.size() > maxLogs)) {
            Entry e = it.next().getValue();
            rows -= e.log().size();
            it.remove();
        }
    }

    public synchronized int count() {
        return logs.size();
    }
}
