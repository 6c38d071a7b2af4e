package dev.syncline.server.storage.sqlite;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The embedded default backend: one SQLite file (plus its {@code -wal} and {@code -shm}) at the
 * configured path, holding the buckets and the write checkpoints. WAL journal, so readers on their own connections never block the single
 * writer; {@code synchronous=FULL}, so a returned commit survives power loss.
 */
public final class SqliteBucketStorage implements BucketStorage {
    private static final Logger log = LoggerFactory.getLogger(SqliteBucketStorage.class);
    private static final int IDLE_READERS = 8;

    private final SqliteConnections connections;
    private final SqliteWriter writer;
    private final CheckpointListeners checkpoints;
    private final SqliteCompactor compactor;
    private final SqliteWriteCheckpointStore writeCheckpoints;
    private final BlockingQueue<SqliteReader> idleReaders = new ArrayBlockingQueue<>(IDLE_READERS);
    private volatile boolean closed;

    private SqliteBucketStorage(SqliteConnections connections, Connection writerConnection) throws SQLException {
        this.connections = connections;
        this.checkpoints = new CheckpointListeners(readCheckpoint(writerConnection));
        this.writer = new SqliteWriter(writerConnection, checkpoints);
        this.compactor = new SqliteCompactor(connections::openWriter);
        this.writeCheckpoints = new SqliteWriteCheckpointStore(connections.openWriter());
    }

    /** Opens (creating if needed) the storage file at {@code file}. */
    public static SqliteBucketStorage open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new StorageException("cannot create the storage directory for " + file + ": " + e.getMessage(), e);
        }
        SqliteConnections connections = new SqliteConnections(file);
        Connection c = connections.openWriter();
        try {
            SqliteSchema.migrate(c);
            LegacyWriteCheckpointFile.importInto(c, file);
            SqliteBucketStorage storage = new SqliteBucketStorage(connections, c);
            storage.logUsage("opened");
            return storage;
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // reporting the original failure
            }
            throw e instanceof StorageException se ? se
                    : new StorageException("cannot open storage " + file + ": " + e.getMessage(), e);
        }
    }

    private static Checkpoint readCheckpoint(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT checkpoint_op_id, checkpoint_lsn FROM state WHERE id = 1")) {
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
        return this::openView;
    }

    private ReadView openView() {
        if (closed) {
            throw new IllegalStateException("storage is closed");
        }
        SqliteReader r = idleReaders.poll();
        return new SqliteReadView(r != null ? r : new SqliteReader(connections.openReader()), this::release);
    }

    private void release(SqliteReader r) {
        if (closed || !idleReaders.offer(r)) {
            r.close();
        }
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

    @Override
    public long diskBytes() {
        long total = 0;
        for (String suffix : List.of("", "-wal", "-shm")) {
            Path p = Path.of(connections.file() + suffix);
            try {
                total += Files.exists(p) ? Files.size(p) : 0;
            } catch (IOException e) {
                log.debug("size of {}: {}", p, e.toString());
            }
        }
        return total;
    }

    /** Logs disk usage and the largest buckets, so operators can watch growth. */
    public void logUsage(String when) {
        StorageUsage.log(this, connections.file().toString(), when);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.close();
        writeCheckpoints.close();
        SqliteReader r;
        while ((r = idleReaders.poll()) != null) {
            r.close();
        }
    }
}
