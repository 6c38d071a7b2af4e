package dev.syncline.server.sync;

import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.auth.AuthenticatedUser;

/** What the sync endpoint needs from storage and the sync rules. */
public interface SyncBackend {
    BucketDataSource data();

    CheckpointFeed feed();

    /** The scope of one connection; may throw {@link dev.syncline.server.sync.SyncException} (e.g. too many buckets). */
    ConnectionScope scope(AuthenticatedUser user, StreamingSyncRequest request);

    /** Whether the backend can serve (replication caught up with its initial copy). */
    boolean ready();
}
