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
 * replica, the user, the sync rules and their storage generation), the serial makes every log's
 * handle new, so a client told to refetch never gets a handle it has already seen expire. Offsets
 * name the shape's rows whatever node or log issued them ({@link ShapeOffset}), so a handle this
 * node does not hold (another node's, one evicted, one from before a restart) is served by a log
 * rebuilt from storage at the request's offset ({@link ShapeLog#rebuild}).
 */
public final class ShapeLogs {
    /** A log with the lock that serialises its use. */
    public record Entry(ShapeLog log, ReentrantLock lock) {}

    private final long maxRows;
    private final int maxLogs;
    private final LinkedHashMap<String, Entry> logs = new LinkedHashMap<>(16, 0.75f, true);
    /** The newest log of each shape definition, so new clients of one shape (tabs, reloads) share it. */
    private final Map<String, String> latestByDefinition = new java.util.HashMap<>();
    private final AtomicLong serial = new AtomicLong(System.currentTimeMillis() * 1000);

    public ShapeLogs(long maxRows, int maxLogs) {
        this.maxRows = maxRows;
        this.maxLogs = maxLogs;
    }

    /** A handle no log has had, for a shape of {@code definitionHash}. */
    public String newHandle(String definitionHash) {
        return definitionHash + "-" + serial.incrementAndGet();
    }

    /**
     * The handle a 409 sends a client of {@code definitionHash} to; new clients of the shape start
     * there too, so none is handed the handle a tab next door has just seen expire.
     */
    public synchronized String replacement(String definitionHash) {
        String handle = newHandle(definitionHash);
        latestByDefinition.put(definitionHash, handle);
        return handle;
    }

    /** Whether {@code handle} was minted for a shape of {@code definitionHash}. */
    public static boolean belongsTo(String handle, String definitionHash) {
        return handle != null && handle.startsWith(definitionHash + "-");
    }

    public synchronized Entry get(String handle) {
        return handle == null ? null : logs.get(handle);
    }

    /**
     * The log a new client of a shape starts on: {@code requested} when it names one of this shape
     * (the handle a 409 handed out), else the shape's newest log, else a new one made by {@code create}.
     */
    public synchronized Entry forNewClient(String definitionHash, String requested, Function<String, ShapeLog> create) {
        String handle = belongsTo(requested, definitionHash) ? requested : latestByDefinition.get(definitionHash);
        Entry e = handle == null ? null : logs.get(handle);
        if (e == null) {
            if (handle == null) {
                handle = newHandle(definitionHash);
            }
            e = new Entry(create.apply(handle), new ReentrantLock());
            logs.put(handle, e);
        }
        latestByDefinition.put(definitionHash, handle);
        return e;
    }

    /**
     * Makes {@code entry} the log of its handle, e.g. one rebuilt from storage for an offset the
     * handle's previous log here did not know (see {@link ShapeLog#rebuild}).
     */
    public synchronized void put(Entry entry) {
        String handle = entry.log().handle();
        logs.put(handle, entry);
        latestByDefinition.put(handle.substring(0, Math.max(0, handle.lastIndexOf('-'))), handle);
    }

    /** Evicts least recently used logs over the limits; call after a log grew. */
    public synchronized void trim() {
        long rows = 0;
        for (Entry e : logs.values()) {
            rows += e.log().size();
        }
        Iterator<Map.Entry<String, Entry>> it = logs.entrySet().iterator();
        while (it.hasNext() && logs.size() > 1 && (rows > maxRows || logs.size() > maxLogs)) {
            Map.Entry<String, Entry> oldest = it.next();
            rows -= oldest.getValue().log().size();
            String hash = oldest.getKey().substring(0, Math.max(0, oldest.getKey().lastIndexOf('-')));
            latestByDefinition.remove(hash, oldest.getKey());
            it.remove();
        }
    }

    public synchronized int count() {
        return logs.size();
    }
}
