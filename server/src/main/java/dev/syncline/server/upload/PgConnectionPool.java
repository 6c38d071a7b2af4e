package dev.syncline.server.upload;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A small bounded pool of PostgreSQL connections for uploads: at most {@code max} exist, a borrower
 * waits up to a deadline for one, and a connection that failed with a connection error is closed
 * rather than handed out again. Connections are kept with autocommit off.
 */
public final class PgConnectionPool implements AutoCloseable {
    /** Opens one new connection. */
    @FunctionalInterface
    public interface Opener {
        Connection open() throws SQLException;
    }

    private final Opener opener;
    private final Semaphore permits;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    public PgConnectionPool(Opener opener, int max) {
        this.opener = opener;
        this.permits = new Semaphore(max, true);
    }

    /**
     * @throws SQLException with SQLSTATE 08001 when none is free within {@code wait} or none can be opened
     */
    public Connection borrow(Duration wait) throws SQLException {
        try {
            if (closed || !permits.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new SQLException("no upload connection free within " + wait.toMillis() + " ms", "08001");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for an upload connection", "08001", e);
        }
        try {
            Connection c = idle.pollFirst();
            if (c == null) {
                c = opener.open();
                c.setAutoCommit(false);
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** Returns {@code c}; a {@code broken} one is closed instead of reused. */
    public void release(Connection c, boolean broken) {
        try {
            if (broken || closed || c.isClosed()) {
                closeQuietly(c);
            } else {
                idle.addFirst(c);
            }
        } catch (SQLException e) {
            closeQuietly(c);
        } finally {
            permits.release();
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // already unusable
        }
    }
}
