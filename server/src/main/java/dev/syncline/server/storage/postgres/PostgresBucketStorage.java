package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpId;
import dev.syncline.server.storage.BucketCompactor;
import dev.syncline.server.storage.BucketReader;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.BucketWriter;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.CheckpointListeners;
import dev.syncline.server.storage.CheckpointNotifier;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.StorageUsage;
import dev.syncline.server.storage.WriteCheckpointStore;
import dev.syncline.server.storage.WriterFence;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Bucket storage in a PostgreSQL database, in a schema of its own (the source database or
 * another). Same model and contract as the SQLite backend: one writer connection whose
 * transactions lock the {@code state} row, readers in {@code REPEATABLE READ} snapshots, a
 * compactor in short transactions, write checkpoints in autocommit. Commits are durable under
 * PostgreSQL's default {@code synchronous_commit = on}. Schema migrations run at open.
 *
 * <p>Several processes (nodes) may open one storage; one of them writes (the holder of the
 * {@link ReplicatorLease}, whose {@link WriterFence} every write transaction checks). Each
 * checkpoint's commit notifies the schema's {@link CheckpointChannel} with what it changed, and
 * every instance follows that channel ({@link PostgresCheckpointFollower}, with polling as a
 * fallback), so checkpoints committed by another node are announced to this process's listeners
 * too, in order, each once; write checkpoints recorded by another node reach
 * {@link WriteCheckpointStore#subscribeRecordedElsewhere} listeners the same way.
 */
public final class PostgresBucketStorage implements BucketStorage {
    private static final int IDLE_READERS = 8;

    private final PostgresConnections connections;
    private final PostgresWriter writer;
    private final CheckpointListeners checkpoints;
    private final PostgresCompactor compactor;
    private final PostgresWriteCheckpointStore writeCheckpoints;
    private final PostgresCheckpointFollower follower;
    /** How long a reader waits for one of the {@code max_read_connections} before it is told to retry. */
    static final java.time.Duration READER_WAIT = java.time.Duration.ofSeconds(30);

    private final BlockingQueue<Connection> idleReaders = new ArrayBlockingQueue<>(IDLE_READERS);
    /** One permit per read connection open (idle ones are not counted): at most max_read_connections. */
    private final java.util.concurrent.Semaphore readers;
    private final int maxReaders;
    private final java.time.Duration readerWait;
    private volatile boolean closed;

    private PostgresBucketStorage(PostgresConnections connections, Connection writerConnection, WriterFence fence,
                                  int maxReaders, java.time.Duration readerWait) throws SQLException {
        this.connections = connections;
        this.maxReaders = maxReaders;
        this.readers = new java.util.concurrent.Semaphore(maxReaders, true);
        this.readerWait = readerWait;
        this.checkpoints = new CheckpointListeners(readCheckpoint(writerConnection));
        this.writer = new PostgresWriter(writerConnection, checkpoints, fence, connections.schema(), connections::open);
        this.compactor = new PostgresCompactor(connections::open, fence, connections.lockWait());
        this.writeCheckpoints = new PostgresWriteCheckpointStore(connections::open, connections.schema());
        this.follower = new PostgresCheckpointFollower(connections, checkpoints, writeCheckpoints::recordedElsewhere,
                pid -> pid == writer.backendPid() || pid == writeCheckpoints.backendPid());
        this.follower.start();
    }

    /**
     * Opens the storage in {@code schema} of the database at {@code jdbcUrl}, creating or
     * migrating its tables first.
     *
     * @param properties JDBC properties (user, password, sslmode, ...)
     */
    public static PostgresBucketStorage open(String jdbcUrl, Properties properties, String schema) {
        return open(jdbcUrl, properties, schema, WriterFence.NONE);
    }

    /**
     * As {@link #open(String, Properties, String)}, with every write transaction checking {@code fence}
     * before it commits (the replicator lease of a node among several: {@link ReplicatorLease}).
     */
    public static PostgresBucketStorage open(String jdbcUrl, Properties properties, String schema, WriterFence fence) {
        return open(jdbcUrl, properties, schema, fence, dev.syncline.server.config.StorageConfig.DEFAULT_MAX_READ_CONNECTIONS);
    }

    /**
     * As {@link #open(String, Properties, String, WriterFence)}, with at most {@code maxReaders}
     * read connections open at once (storage {@code max_read_connections}).
     */
    public static PostgresBucketStorage open(String jdbcUrl, Properties properties, String schema, WriterFence fence,
                                             int maxReaders) {
        return open(jdbcUrl, properties, schema, fence, maxReaders, READER_WAIT);
    }

    static PostgresBucketStorage open(String jdbcUrl, Properties properties, String schema, WriterFence fence,
                                      int maxReaders, java.time.Duration readerWait) {
        PostgresConnections connections = new PostgresConnections(jdbcUrl, properties, schema);
        Connection c = connections.open();
        try {
            PostgresSchema.migrate(c, schema, connections.lockWait());
            PostgresBucketStorage storage = new PostgresBucketStorage(connections, c, fence, maxReaders, readerWait);
            StorageUsage.log(storage, connections.describe(), "opened");
            return storage;
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // reporting the original failure
            }
            throw e instanceof StorageException se ? se
                    : new StorageException("cannot open storage " + connections.describe() + ": "
                            + (e instanceof SQLException sql ? PostgresConnections.message(sql) : e.getMessage()), e);
        }
    }

    private static Checkpoint readCheckpoint(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT checkpoint_op_id, checkpoint_position FROM state WHERE id = 1")) {
            rs.next();
            long op = rs.getLong(1);
            return rs.wasNull() ? null : new Checkpoint(new OpId(op), new CommitPosition(rs.getLong(2)));
        }
    }

    @Override
    public BucketWriter writer() {
        return writer;
    }

    @Override
    public BucketReader reader() {
        return new BucketReader() {
            @Override
            public ReadView open() {
                return openView();
            }

            @Override
            public boolean holdViews() {
                return false; // bounded: a slow client's socket must not hold one of them
            }
        };
    }

    /**
     * A read view on one of at most {@code maxReaders} connections; a reader beyond them waits for
     * one to be given back, up to {@link #READER_WAIT}, then fails as a busy storage database
     * (SQLSTATE 53300, as PostgreSQL's own "too many connections": the client is told to retry).
     * Without the bound, thousands of streams woken by one checkpoint each opened a connection,
     * and PostgreSQL refused every node's connections beyond its max_connections.
     */
    private ReadView openView() {
        if (closed) {
            throw new IllegalStateException("storage is closed");
        }
        try {
            if (!readers.tryAcquire(readerWait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw new StorageException("all " + maxReaders + " storage read connections of this node stayed busy for "
                        + readerWait.toSeconds() + " s (storage.max_read_connections)",
                        new SQLException("storage read connections busy", "53300"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while waiting for a storage read connection", e);
        }
        boolean opened = false;
        try {
            ReadView view = null;
            Connection c = idleReaders.poll();
            if (c != null) {
                try {
                    view = new PostgresReadView(c, this::release, readers::release);
                } catch (StorageException e) {
                    // an idle connection lost meanwhile (storage restarted, session terminated): the view
                    // closed it; a new one is opened below
                }
            }
            if (view == null) {
                view = new PostgresReadView(connections.open(), this::release, readers::release);
            }
            opened = true;
            return view;
        } finally {
            if (!opened) {
                readers.release();
            }
        }
    }

    private void release(Connection c) {
        if (closed || !idleReaders.offer(c)) {
            closeQuietly(c);
        }
        readers.release();
    }

    @Override
    public CheckpointNotifier checkpoints() {
        return checkpoints;
    }

    @Override
    public BucketCompactor compactor() {
        return compactor;
    }

    @Override
    public WriteCheckpointStore writeCheckpoints() {
        return writeCheckpoints;
    }

    /** The size of the storage schema's tables with their indexes and TOAST. */
    @Override
    public long diskBytes() {
        try (Connection c = connections.open();
             java.sql.PreparedStatement s = c.prepareStatement("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) "
                     + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r'")) {
            s.setString(1, connections.schema());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new StorageException("cannot read the storage size: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        follower.close();
        writer.close();
        writeCheckpoints.close();
        Connection c;
        while ((c = idleReaders.poll()) != null) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }
}
