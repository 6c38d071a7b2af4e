package dev.syncline.server.storage;

/**
 * The ops {@code firstOpId..lastOpId} (inclusive) were written for the source transaction
 * {@code xid} (PostgreSQL's 32-bit transaction id, unsigned, as pgoutput's BEGIN carries it and as
 * {@code pg_current_xact_id()::xid} returns it). Recorded by {@link WriteTransaction#sourceTransaction}
 * so that the Electric Shape API can tag each change with the transaction that made it
 * ({@code headers.txids}, read-your-writes for clients that uploaded it; docs/electric.md).
 */
public record SourceXid(long firstOpId, long lastOpId, long xid) {
    public SourceXid {
        if (firstOpId > lastOpId) {
            throw new IllegalArgumentException("empty op range " + firstOpId + ".." + lastOpId + " for xid " + xid);
        }
    }

    /** Whether {@code opId} lies in this range. */
    public boolean holds(long opId) {
        return opId >= firstOpId && opId <= lastOpId;
    }
}
