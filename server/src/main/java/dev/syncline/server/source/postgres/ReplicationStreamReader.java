package dev.syncline.server.source.postgres;

import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads the pgoutput stream on its own thread and hands raw messages to the capture thread
 * through a queue bounded in bytes. The reader owns the pgjdbc stream (which is not thread-safe):
 * it alone sends status updates, so it keeps answering PostgreSQL while the consumer is slow and
 * {@code wal_sender_timeout} never fires. Only positions reported by {@link #acknowledge} are
 * confirmed as flushed.
 */
final class ReplicationStreamReader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicationStreamReader.class);
    private static final ByteBuffer END = ByteBuffer.allocate(0);
    private static final long STATUS_WHILE_BLOCKED_MILLIS = 1_000;
    /**
     * Heap a queued message costs besides its payload: the {@code HeapByteBuffer} (about 64 bytes),
     * its queue node (32), and the array pgjdbc read it into, which also holds the XLogData header
     * (24) and has a header of its own (16), as a heap dump of a 200,000-row transaction waiting in
     * the queue showed. Messages of a transaction of small rows carry 20–40 bytes each, so counting
     * their payload alone let the queue hold several times {@code max_pending_bytes} (SmallHeapIT
     * ran out of its 160 MiB heap that way).
     */
    static final int MESSAGE_OVERHEAD_BYTES = 136;

    private final Connection connection;
    private final PGReplicationStream stream;
    private final BlockingQueue<ByteBuffer> queue = new LinkedBlockingQueue<>();
    private final Semaphore budget;
    private final int maxPermits;
    private final Thread thread;
    private volatile Lsn acknowledged = Lsn.ZERO;
    private Lsn sentAcknowledged = Lsn.ZERO;
    private volatile boolean running = true;
    private volatile Throwable failure;

    ReplicationStreamReader(Connection replicationConnection, String slot, PgServerVersion.PgOutputOptions options,
                            Lsn start, long maxPendingBytes) throws SQLException {
        this.connection = replicationConnection;
        this.maxPermits = (int) Math.min(Integer.MAX_VALUE, Math.max(1 << 20, maxPendingBytes));
        this.budget = new Semaphore(maxPermits);
        this.stream = replicationConnection.unwrap(PGConnection.class).getReplicationAPI().replicationStream()
                .logical()
                .withSlotName(slot)
                .withStartPosition(LogSequenceNumber.valueOf(start.value()))
                .withSlotOption("proto_version", String.valueOf(options.protoVersion()))
                .withSlotOption("publication_names", TableName.quoteIdentifier(options.publication()))
                .withSlotOption("messages", String.valueOf(options.messages()))
                .withSlotOption("binary", String.valueOf(options.binary()))
                // 1 s, not 10: pgjdbc's readPending() reports a reset connection as "no message yet",
                // so only a failing status write reveals it; at 10 s, clients stayed stale that long
                // after a cut to PostgreSQL healed (ReplicationCutIT, found by the fault campaign)
                .withStatusInterval(1, TimeUnit.SECONDS)
                // Only acknowledge() moves the slot: pgjdbc's automatic flush would confirm the server's
                // WAL position on keepalives, past what storage recorded as acknowledged, and SlotGuard
                // would then refuse the slot at the next start (SYNC_C1105; ReplicationStreamReaderIT)
                .withAutomaticFlush(false)
                .start();
        this.thread = Thread.ofPlatform().daemon().name("syncline-wal-reader").unstarted(this::readLoop);
    }

    void start() {
        thread.start();
    }

    /** Everything up to {@code lsn} is durably stored; the reader confirms it to PostgreSQL. */
    void acknowledge(Lsn lsn) {
        if (lsn.isAfter(acknowledged)) {
            acknowledged = lsn;
        }
    }

    /**
     * The next raw message, or null after {@code timeoutMillis}. Rethrows the reader's failure.
     * Call {@link #release} with the message once it is processed.
     */
    ByteBuffer next(long timeoutMillis) throws InterruptedException {
        ByteBuffer message = queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        if (message == END || (message == null && failure != null)) {
            Throwable f = failure;
            throw f instanceof CaptureException ce ? ce
                    : new CaptureException(CaptureError.CONNECTION, "replication stream failed: "
                    + (f == null ? "closed" : f.getMessage()), f);
        }
        return message;
    }

    void release(ByteBuffer message) {
        budget.release(permits(message));
    }

    /** What the message holds on the heap: its payload (the slice pgjdbc returns) and the rest around it. */
    private int permits(ByteBuffer message) {
        return (int) Math.min((long) message.capacity() + MESSAGE_OVERHEAD_BYTES, maxPermits);
    }

    /** Messages read and not yet taken by {@link #next}. */
    int queued() {
        return queue.size();
    }

    private void readLoop() {
        int idleSpins = 0;
        try {
            while (running) {
                sendAcknowledgedIfNew();
                ByteBuffer message = stream.readPending();
                if (message == null) {
                    // readPending also sends the periodic status update; back off briefly when idle.
                    LockSupport.parkNanos(idleSpins++ < 100 ? 100_000L : 1_000_000L);
                    continue;
                }
                idleSpins = 0;
                int permits = permits(message);
                while (!budget.tryAcquire(permits, STATUS_WHILE_BLOCKED_MILLIS, TimeUnit.MILLISECONDS)) {
                    if (!running) {
                        return;
                    }
                    // Consumer is slow: keep PostgreSQL's walsender satisfied that we are alive.
                    sendAcknowledgedIfNew();
                    stream.forceUpdateStatus();
                }
                queue.add(message);
            }
        } catch (Throwable t) {
            if (running) {
                log.warn("replication stream reader failed (capture classifies it and retries where a retry can help): {}", t.toString());
                failure = t;
                queue.add(END);
            }
        }
    }

    private void sendAcknowledgedIfNew() throws SQLException {
        Lsn ack = acknowledged;
        if (ack.isAfter(sentAcknowledged)) {
            LogSequenceNumber lsn = LogSequenceNumber.valueOf(ack.value());
            stream.setFlushedLSN(lsn);
            stream.setAppliedLSN(lsn);
            stream.forceUpdateStatus();
            sentAcknowledged = ack;
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (!stream.isClosed()) {
                sendAcknowledgedIfNew();
                stream.close();
            }
        } catch (SQLException e) {
            log.debug("closing replication stream: {}", e.toString());
        }
        try {
            connection.close();
        } catch (SQLException e) {
            log.debug("closing replication connection: {}", e.toString());
        }
    }
}
