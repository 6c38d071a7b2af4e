package dev.syncline.server.storage;

import java.sql.SQLException;

/**
 * Tells storage failures that a retry heals from the others, once, where capture decides whether
 * to retry: a fenced write ({@link StorageFencedException}) and a lost connection to a storage
 * database (SQLSTATE class {@code 08}, or {@code 57P0x}: the server shut down or the session was
 * terminated; or {@code 53300}: too many connections, PostgreSQL's or this node's read
 * connections) are not faults of the data; anything else is.
 */
public final class StorageFailures {
    private StorageFailures() {}

    /** Whether {@code t} (or a cause) is a write refused by the replicator lease's fence. */
    public static boolean fenced(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StorageFencedException) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code t} (or a cause) is a {@link StorageException} caused by a lost storage connection. */
    public static boolean connectionLost(Throwable t) {
        boolean storage = false;
        for (Throwable c = t; c != null; c = c.getCause()) {
            storage |= c instanceof StorageException;
            if (storage && c instanceof SQLException e && e.getSQLState() != null
                    && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57P")
                    || e.getSQLState().equals("53300"))) {
                return true;
            }
        }
        return false;
    }
}
