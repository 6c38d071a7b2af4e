package dev.syncline.server.generation;

import dev.syncline.server.storage.SourceXid;
import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.sync.BucketDataSource;
import dev.syncline.server.sync.CheckpointFeed;
import dev.syncline.server.sync.ConnectionCheckpoint;
import dev.syncline.server.sync.ConnectionScope;
import dev.syncline.server.sync.GenerationFeed;
import dev.syncline.server.sync.StorageSyncBackend;
import dev.syncline.server.sync.SyncBackend;

import java.util.List;

/**
 * The one holder through which the sync API (HTTP and WebSocket streams, Electric shapes, the
 * admin API) reads the active storage generation. Switching generations is one volatile write
 * followed by a wake-up of every session on the shared feed.
 *
 * <p>Open streams move in place: a session's scope is re-created from the new generation at its
 * next evaluation (its rules, its storage), and its next checkpoint is an ordinary
 * {@code checkpoint_diff} whose changed buckets start with a CLEAR ({@link StorageSyncBackend}),
 * so the client replaces each bucket atomically at {@code checkpoint_complete}. Ops of a
 * checkpoint computed just before the switch are still read from the previous generation, which
 * stays open until {@link #forgetPrevious()}.
 */
public final class ServingGeneration implements SyncBackend {
    /** A generation as served: its id, its backend and the op id all its ops are above. */
    public record Served(int id, StorageSyncBackend backend, long baseOpId) {}

    private final GenerationFeed feed;
    private volatile Served active;
    private volatile Served previous;

    public ServingGeneration(GenerationFeed feed) {
        this.feed = feed;
    }

    /** Serves {@code next} from now on; the generation served so far stays readable until {@link #forgetPrevious()}. */
    public void serve(Served next) {
        previous = active;
        active = next;
        feed.bump();   // every session evaluates again, now against the new generation
    }

    /** The previous generation is about to be closed: stop reading from it. */
    public Served forgetPrevious() {
        Served p = previous;
        previous = null;
        return p;
    }

    public Served active() {
        return active;
    }

    @Override
    public boolean ready() {
        Served s = active;
        return s != null && s.backend().ready();
    }

    @Override
    public CheckpointFeed feed() {
        return feed;
    }

    @Override
    public ConnectionScope scope(AuthenticatedUser user, StreamingSyncRequest request) {
        Served first = active;
        ConnectionScope firstScope = first.backend().scope(user, request); // request errors surface at connect
        return new ConnectionScope() {
            private Served of = first;
            private ConnectionScope scope = firstScope;

            @Override
            public ConnectionCheckpoint current() {
                Served now = active;
                if (now != of) {
                    scope = now.backend().scope(user, request);
                    of = now;
                }
                return scope.current();
            }
        };
    }

    /** A checkpoint below the active generation's base op id was computed from the previous generation. */
    private Served servedFor(long upTo) {
        Served s = active;
        Served p = previous;
        return upTo < s.baseOpId() && p != null ? p : s;
    }

    @Override
    public BucketDataSource data() {
        return new BucketDataSource() {
            @Override
            public List<OplogEntry> ops(String bucket, long after, long upTo, int limit) {
                return servedFor(upTo).backend().data().ops(bucket, after, upTo, limit);
            }

            @Override
            public List<SourceXid> sourceXids(long after, long upTo) {   // Electric's txids (docs/electric.md)
                return servedFor(upTo).backend().data().sourceXids(after, upTo);
            }

            @Override
            public Reader reader() {
                return new Reader() {
                    private Served of;
                    private Reader reader;

                    @Override
                    public List<OplogEntry> ops(String bucket, long after, long upTo, int limit) {
                        Served s = servedFor(upTo);
                        if (s != of) {
                            close();
                            reader = s.backend().data().reader();
                            of = s;
                        }
                        return reader.ops(bucket, after, upTo, limit);
                    }

                    @Override
                    public List<SourceXid> sourceXids(long after, long upTo) {
                        Served s = servedFor(upTo);
                        if (s != of) {
                            close();
                            reader = s.backend().data().reader();
                            of = s;
                        }
                        return reader.sourceXids(after, upTo);
                    }

                    @Override
                    public long compactedUpTo(String bucket) {   // shape logs rebuilt at an offset (docs/electric.md)
                        Served s = active;
                        if (s != of) {
                            close();
                            reader = s.backend().data().reader();
                            of = s;
                        }
                        return reader.compactedUpTo(bucket);
                    }

                    @Override
                    public void close() {
                        if (reader != null) {
                            reader.close();
                            reader = null;
                            of = null;
                        }
                    }
                };
            }
        };
    }
}
