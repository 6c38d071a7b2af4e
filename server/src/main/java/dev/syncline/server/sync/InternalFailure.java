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

    /** Logs {@code failure} with a new reference and returns the description safe to send. */
    public static String report(Logger log, String where, Throwable failure) {
        String reference = UUID.randomUUID().toString().substring(0, 8);
        log.error("internal error {} in {}", reference, where, failure);
        return "internal error; retry later, or give the operator reference " + reference;
    }
}
