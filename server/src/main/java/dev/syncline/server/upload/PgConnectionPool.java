package dev.syncline.server.upload;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A small bounded pool of PostgreSQL connections for uploads: at most {@code max} exist, a borrower
 * waits up to a deadline for one, and a connection that failed with a connection error is closed
 * rather than handed out again. Connections are kept with autocommit off.
 *
 * <p>Every connection given back is rolled back, and reset ({@link #RESET}) before anyone uses it
 * again, so nothing one upload left behind (an open transaction, a role taken with a
 * session-level {@code SET ROLE}, a {@code statement_timeout} or claim set without {@code LOCAL},
 * a cursor, a listen, an advisory lock) reaches another user's upload. {@link #borrow} resets it
 * in a round trip of its own; {@link #borrowUnreset} leaves the reset to the caller, which runs
 * {@link #RESET} as the first statements of each transaction, in the same round trip as its
 * first statement (the upload path: one round trip less per request). One that cannot be reset
 * is closed. {@code DISCARD ALL} would do the same but also drop pgjdbc's server-prepared
 * statements and cannot run inside the transaction autocommit-off connections are always in.
 */
public final class PgConnectionPool implements AutoCloseable {
    /** Opens one new connection. */
    @FunctionalInterface
    public interface Opener {
        Connection open() throws SQLException;
    }

    // role and session_authorization are not reset by RESET ALL (GUC_NO_RESET_ALL): name them.
    public static final String RESET = "RESET ALL; RESET ROLE; RESET SESSION AUTHORIZATION; CLOSE ALL; UNLISTEN *;"
            + " SELECT pg_advisory_unlock_all(); DISCARD TEMP";

    private final Opener opener;
    private final Semaphore permits;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    /** Idle connections given back since their last reset (all of them but new ones). */
    private final Set<Connection> unreset = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public PgConnectionPool(Opener opener, int max) {
        this.opener = opener;
        this.permits = new Semaphore(max, true);
    }

    /**
     * @throws SQLException with SQLSTATE 08001 when none is free within {@code wait} or none can be opened
     */
    public Connection borrow(Duration wait) throws SQLException {
        while (true) {
            Connection c = borrowUnreset(wait);
            if (!unreset.remove(c)) {
                return c;
            }
            try {
                reset(c);
                return c;
            } catch (SQLException e) {
                release(c, true); // could not be reset: closed, and another one is tried
            }
        }
    }

    /**
     * A connection that may still hold what its last borrower left in its session: the caller
     * must run {@link #RESET} at the start of every transaction on it before anything else.
     *
     * @throws SQLException with SQLSTATE 08001 when none is free within {@code wait} or none can be opened
     */
    public Connection borrowUnreset(Duration wait) throws SQLException {
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

    /**
     * Returns {@code c} rolled back (no round trip when no transaction is open), to be reset before
     * its next use; a {@code broken} one, or one that cannot be rolled back, is closed instead.
     */
    public void release(Connection c, boolean broken) {
        try {
            if (broken || closed || c.isClosed()) {
                closeQuietly(c);
            } else {
                c.rollback();
                unreset.add(c);
                idle.addFirst(c);
            }
        } catch (SQLException e) {
            closeQuietly(c);
        } finally {
            permits.release();
        }
    }

    /** Rolls back and runs {@link #RESET} in a transaction of its own. */
    static void reset(Connection c) throws SQLException {
        c.rollback();
        try (Statement s = c.createStatement()) {
            s.execute(RESET);
        }
        c.commit();
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            closeQuietly(c);
        }
    }

    private void closeQuietly(Connection c) {
        unreset.remove(c);
        try {
            c.close();
        } catch (SQLException ignored) {
            // already unusable
        }
    }
}
