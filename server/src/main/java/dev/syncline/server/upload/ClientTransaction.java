package dev.syncline.server.upload;

import java.util.List;

/** One local transaction of a client, applied all or nothing; {@code txId} is the client's transaction id. */
public record ClientTransaction(long txId, List<CrudOp> ops) {
    public ClientTransaction {
        ops = List.copyOf(ops);
    }
}
