package dev.syncline.server.sync;

import org.slf4j.Logger;

import java.util.UUID;

/**
 * An unexpected failure behind a sync endpoint (storage, the source database, a bug): the client
 * gets {@value #CODE} and a reference, never the exception's text, which can name hosts, database
 * users or SQL; the log gets the detail under the same reference.
 */
public final class InternalFailure {
    public static final String CODE = dev.syncline.server.errors.ServerError.SYNC_S5000.code();

    private InternalFailure() {}

    /**
     * What a client is told about an unexpected failure, the one answer every endpoint gives: the
     * retryable {@link #storageUnreachable} when the storage database cannot be reached, otherwise
     * {@value #CODE} (500) with a reference {@link #report}ed to the log with the detail.
     */
    public static SyncException toClient(Logger log, String where, Throwable failure) {
        SyncException unreachable = storageUnreachable(log, where, failure);
        return unreachable != null ? unreachable : new SyncException(CODE, 500, report(log, where, failure));
    }

    /**
     * A failure that is not internal after all: the storage database (PostgreSQL storage) is not
     * reachable from this node — a cut, a restart, a partition. The client gets a retryable 503
     * ({@code SYNC_R1009}, {@code Retry-After: 1}) and the log one WARN line instead of an ERROR with
     * a stack trace; null for anything else. Found by the fault campaign on PostgreSQL storage.
     */
    static SyncException storageUnreachable(Logger log, String where, Throwable failure) {
        if (!dev.syncline.server.storage.StorageFailures.connectionLost(failure)) {
            return null;
        }
        log.warn(dev.syncline.server.errors.ServerError.SYNC_R1009.tag("{}: the storage database is not reachable ({}); "
                + "the client retries"), where, failure.getMessage());
        return new SyncException(dev.syncline.server.errors.ServerError.SYNC_R1009,
                "the storage database is not reachable or busy from this node; retry shortly", 1);
    }

    /** Logs {@code failure} with a new reference and returns the description safe to send. */
    public static String report(Logger log, String where, Throwable failure) {
        String reference = UUID.randomUUID().toString().substring(0, 8);
        log.error("internal error {} in {}", reference, where, failure);
        return "internal error; retry later, or give the operator reference " + reference;
    }
}
