package dev.syncline.server.upload;

import java.util.List;
import java.util.Objects;

/** A parsed {@code POST /api/upload} body: the client's database id and its queued transactions, in order. */
public record UploadRequest(String clientId, List<ClientTransaction> transactions) {
    public UploadRequest {
        Objects.requireNonNull(clientId, "clientId");
        transactions = List.copyOf(transactions);
    }
}
