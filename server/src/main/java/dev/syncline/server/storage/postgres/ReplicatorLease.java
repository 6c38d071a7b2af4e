package dev.syncline.server.storage.postgres;

import dev.syncline.server.errors.ServerError;
import dev.syncline.server.storage.StorageFencedException;
import dev.syncline.server.storage.WriterFence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Which node of several on one PostgreSQL storage replicates: the holder of a session-level
 * advisory lock ({@code pg_try_advisory_lock}) on a connection of its own. PostgreSQL releases the
 * lock when that session ends — the node closed it, died (kill -9: the backend sees the socket
 * close), or an administrator terminated it — so another node can take over within its next try.
 *
 * <p>Fencing: each take-over increments {@code <schema>.replicator_lease.epoch}, and the holder's
 * storage writers check, in every write transaction, that the epoch is still theirs ({@link
 * #check}, {@link WriterFence}). A node whose lock is gone but who has not noticed yet therefore
 * cannot commit once another node took over: the new holder's increment waits for the old one's
 * open transaction ({@code FOR SHARE}), and every later check sees the new epoch.
 *
 * <p>Not thread-safe beyond this: {@link #tryAcquire}, {@link #stillHeld} and {@link #release}
 * are called by one election thread; {@link #check} by writers, concurrently.
 */
public final class ReplicatorLease implements WriterFence, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicatorLease.class);
    static final String TABLE = "replicator_lease";

    private final String jdbcUrl;
    private final Properties properties;
    private final String schema;
    private final String holder;
    private Connection connection;
    private volatile long epoch = -1;

    /**
     * @param schema the storage schema (generation 0's), where the lease row lives
     * @param holder how this node is named in the lease row and in {@code pg_stat_activity}
     *               ({@code application_name = 'syncline lease <holder>'})
     */
    public ReplicatorLease(String jdbcUrl, Properties properties, String schema, String holder) {
        this.jdbcUrl = jdbcUrl;
        this.properties = new Properties();
        this.properties.putAll(properties);
        // A node cut off from storage must notice within seconds, not at TCP's default timeouts.
        this.properties.setProperty("socketTimeout", "10");
        this.properties.setProperty("connectTimeout", "5");
        this.properties.setProperty("tcpKeepAlive", "true");
        this.properties.setProperty("ApplicationName", "syncline lease " + holder);
        this.schema = schema;
        this.holder = holder;
    }

    /** The table that holds the epoch: also the name {@code GenerationStore} leaves alone. */
    public static String tableName() {
        return TABLE;
    }

    private String table() {
        return PostgresConnections.quote(schema) + "." + TABLE;
    }

    public String holder() {
        return holder;
    }

    /** The epoch this node holds, or -1 when it holds none. */
    public long epoch() {
        return epoch;
    }

    public boolean held() {
        return epoch >= 0;
    }

    /**
     * Takes the lease if no other node holds it; never waits. On success the epoch is incremented
     * (this node's writes are fenced by it from now on). Failures to reach storage answer false.
     */
    public synchronized boolean tryAcquire() {
        if (held()) {
            return true;
        }
        try {
            if (connection == null || connection.isClosed()) {
                connection = DriverManager.getConnection(jdbcUrl, properties);
                ensureTable(connection);
            }
            try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
                lock.setString(1, "syncline replicator " + schema);
                try (ResultSet rs = lock.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return false;
                    }
                }
            }
            try (PreparedStatement next = connection.prepareStatement("UPDATE " + table()
                    + " SET epoch = epoch + 1, holder = ?, since = now() WHERE id = 1 RETURNING epoch")) {
                next.setString(1, holder);
                try (ResultSet rs = next.executeQuery()) {
                    rs.next();
                    epoch = rs.getLong(1);
                }
            }
            return true;
        } catch (SQLException e) {
            log.warn("cannot try the replicator lease in {}: {} (trying again)", table(), e.getMessage());
            closeConnection();
            return false;
        }
    }

    /**
     * Whether this node still holds the lease: its connection answers and the epoch is still its
     * own. When not, the lease is given up here (so every later {@link #check} refuses) and false
     * is returned.
     */
    public synchronized boolean stillHeld() {
        if (!held()) {
            return false;
        }
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT epoch FROM " + table() + " WHERE id = 1")) {
            rs.next();
            long found = rs.getLong(1);
            if (found == epoch) {
                return true;
            }
            log.warn(ServerError.SYNC_D1302.tag("the replicator lease moved to epoch {} (this node held {}): "
                    + "stopping capture"), found, epoch);
        } catch (SQLException e) {
            log.warn(ServerError.SYNC_D1302.tag("lost the replicator lease (epoch {}): its storage connection failed "
                    + "({}); stopping capture, another node takes over"), epoch, e.getMessage());
        }
        epoch = -1;
        closeConnection();   // ends the session, so the advisory lock is gone for sure
        return false;
    }

    /** Gives the lease up (the next node takes it at its next try). */
    public synchronized void release() {
        if (held()) {
            epoch = -1;
            log.info("replicator lease released");
        }
        closeConnection();
    }

    @Override
    public void check(Connection writer) throws SQLException {
        long mine = epoch;
        long found;
        try (Statement s = writer.createStatement();
             ResultSet rs = s.executeQuery("SELECT epoch FROM " + table() + " WHERE id = 1 FOR SHARE")) {
            found = rs.next() ? rs.getLong(1) : -1;
        }
        if (mine < 0 || found != mine) {
            throw new StorageFencedException(ServerError.SYNC_D1301.tag("storage write refused: this node "
                    + (mine < 0 ? "no longer holds the replicator lease" : "held replicator lease epoch " + mine)
                    + " and the lease is at epoch " + found + " now (another node took over); this node stops "
                    + "capture — nothing to do, it was fenced on purpose"));
        }
    }

    private void ensureTable(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(hashtext('syncline storage " + schema.replace("'", "''") + "'))");
            s.execute("CREATE SCHEMA IF NOT EXISTS " + PostgresConnections.quote(schema));
            s.execute("CREATE TABLE IF NOT EXISTS " + table() + " (id integer PRIMARY KEY CHECK (id = 1), "
                    + "epoch bigint NOT NULL, holder text, since timestamptz)");
            s.execute("INSERT INTO " + table() + " (id, epoch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING");
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the session ends either way
            }
        }
    }

    @Override
    public void close() {
        release();
    }
}
