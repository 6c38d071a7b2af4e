package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpId;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.CheckpointChanges;
import dev.syncline.server.storage.CheckpointListeners;
import dev.syncline.server.storage.CommitPosition;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.BiConsumer;

/**
 * Brings what other nodes write to one PostgreSQL storage schema into this process: on its own
 * connection it {@code LISTEN}s to the schema's {@link CheckpointChannel} and announces each
 * checkpoint another node committed through the storage's {@link CheckpointListeners} (the path
 * this process's own writer uses, so sync streams, shapes and write checkpoints follow it alike),
 * and hands write checkpoints recorded elsewhere to {@code writeCheckpointRecorded}.
 *
 * <p>Polling fallback: after every second without a notification (and after reconnecting, when
 * notifications may have been missed) it reads the committed checkpoint from the {@code state} row
 * and announces it, with {@link CheckpointChanges#UNKNOWN}, if it is newer.
 */
final class PostgresCheckpointFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresCheckpointFollower.class);
    /** How long one wait for notifications lasts: also how long {@link #close} may wait for the thread. */
    private static final int WAIT_MILLIS = 250;
    /** Quiet time after which the state row is polled. */
    private static final long POLL_NANOS = 1_000_000_000L;

    private final PostgresConnections connections;
    private final CheckpointListeners listeners;
    private final BiConsumer<String, String> writeCheckpointRecorded;
    private final java.util.function.IntPredicate ownBackend;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Connection connection;
    /** When a notification was last handled or the state row last polled (the follower's thread only). */
    private long lastHeard;

    /**
     * @param ownBackend whether a notifying backend pid is one of this process's own writers (its
     *                   checkpoints and write checkpoints reached this process's listeners already)
     */
    PostgresCheckpointFollower(PostgresConnections connections, CheckpointListeners listeners,
                               BiConsumer<String, String> writeCheckpointRecorded, java.util.function.IntPredicate ownBackend) {
        this.connections = connections;
        this.listeners = listeners;
        this.writeCheckpointRecorded = writeCheckpointRecorded;
        this.ownBackend = ownBackend;
        this.thread = Thread.ofPlatform().daemon().name("syncline-checkpoint-follower " + connections.schema())
                .unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        boolean warned = false;
        while (running) {
            try {
                Connection c = connection;
                if (c == null) {
                    c = connections.open();
                    try (Statement s = c.createStatement()) {
                        s.execute("LISTEN " + CheckpointChannel.name(connections.schema()));
                    }
                    connection = c;
                    poll(c);   // what was committed while not listening
                    if (warned) {
                        log.info("listening to checkpoints of {} again", connections.describe());
                        warned = false;
                    }
                }
                PGNotification[] notifications = c.unwrap(PGConnection.class).getNotifications(WAIT_MILLIS);
                if (notifications == null || notifications.length == 0) {
                    if (System.nanoTime() - lastHeard >= POLL_NANOS) {
                        poll(c);
                    }
                    continue;
                }
                lastHeard = System.nanoTime();
                for (PGNotification n : notifications) {
                    handle(n);
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                if (!warned) {
                    log.warn("cannot follow the checkpoints of {} ({}); trying again every second", connections.describe(),
                            e.getMessage());
                    warned = true;
                }
                closeConnection();
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void handle(PGNotification n) {
        CheckpointChannel.Message m;
        try {
            m = CheckpointChannel.parse(n.getParameter());
        } catch (IllegalArgumentException e) {
            log.warn("ignoring a notification on {}: {}", n.getName(), e.getMessage());
            return;
        }
        if (!m.schema().equals(connections.schema())) {
            return;   // another storage whose channel name collides
        }
        switch (m) {
            case CheckpointChannel.CheckpointCommitted c -> {
                if (!ownBackend.test(n.getPID())) {   // this process's writer announces its own
                    listeners.announceIfNewer(c.checkpoint(), c.changes());
                }
            }
            case CheckpointChannel.WriteCheckpointRecorded w -> {
                if (!ownBackend.test(n.getPID())) {
                    writeCheckpointRecorded.accept(w.userId(), w.clientId());
                }
            }
        }
    }

    private void poll(Connection c) throws SQLException {
        lastHeard = System.nanoTime();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT checkpoint_op_id, checkpoint_position FROM state WHERE id = 1")) {
            if (rs.next()) {
                long op = rs.getLong(1);
                if (!rs.wasNull()) {
                    listeners.announceIfNewer(new Checkpoint(new OpId(op), new CommitPosition(rs.getLong(2))),
                            CheckpointChanges.UNKNOWN);
                }
            }
        }
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // reconnecting or stopping anyway
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
