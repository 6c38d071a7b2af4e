package dev.syncline.server.faults;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A writer straight to PostgreSQL (not through the server): each transaction moves an amount
 * between two accounts of different groups — so of different buckets — records the transfer, and
 * every third one also inserts a note for a user (a third bucket); two in five also update or
 * delete a filler row no user syncs. A transaction counts as
 * committed only when {@code commit()} returned; one whose commit failed is in doubt.
 */
final class TransferWriter implements AutoCloseable {
    /**
     * {@code -Dsyncline.faults.sabotage=true} commits each transfer in two transactions, so clients
     * can see money missing: the campaign must then report cross-bucket anomalies (checks the checker).
     */
    static final boolean SABOTAGE = Boolean.getBoolean("syncline.faults.sabotage");

    private final int id;
    private final Supplier<Connection> connect;
    private final int groups;
    private final int accountsPerGroup;
    private final java.util.List<String> users;
    private final Random random;
    private final Set<String> committedTransfers = ConcurrentHashMap.newKeySet();
    private final Set<String> committedNotes = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long failures;

    TransferWriter(int id, Supplier<Connection> connect, int groups, int accountsPerGroup, java.util.List<String> users,
                   long seed) {
        this.id = id;
        this.connect = connect;
        this.groups = groups;
        this.accountsPerGroup = accountsPerGroup;
        this.users = users;
        this.random = new Random(seed);
        this.thread = Thread.ofPlatform().daemon().name("writer-" + id).start(this::loop);
    }

    Set<String> committedTransfers() { return committedTransfers; }
    Set<String> committedNotes() { return committedNotes; }
    long failures() { return failures; }

    static String account(int group, int index) {
        return "a" + group + "-" + index;
    }

    private void loop() {
        long seq = 0;
        Connection c = null;
        while (running) {
            try {
                if (c == null) {
                    c = connect.get();
                    c.setAutoCommit(false);
                }
                seq++;
                int g1 = random.nextInt(groups);
                int g2 = (g1 + 1 + random.nextInt(groups - 1)) % groups;
                String from = account(g1, random.nextInt(accountsPerGroup));
                String to = account(g2, random.nextInt(accountsPerGroup));
                long amount = 1 + random.nextInt(50);
                String transfer = "w" + id + "-" + seq;
                // lock in id order, so two writers never deadlock
                boolean fromFirst = from.compareTo(to) < 0;
                try (PreparedStatement move = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
                     PreparedStatement log = c.prepareStatement("INSERT INTO transfers (id, amount) VALUES (?, ?)")) {
                    move.setLong(1, fromFirst ? -amount : amount);
                    move.setString(2, fromFirst ? from : to);
                    move.executeUpdate();
                    if (SABOTAGE) {
                        c.commit(); // the checkers' self-test: half a transfer becomes visible on its own
                    }
                    move.setLong(1, fromFirst ? amount : -amount);
                    move.setString(2, fromFirst ? to : from);
                    move.executeUpdate();
                    log.setString(1, transfer);
                    log.setLong(2, amount);
                    log.executeUpdate();
                }
                String note = null;
                if (seq % 3 == 0) {
                    note = "p-" + id + "-" + seq;
                    try (PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO notes (id, owner_id, body) VALUES (?, ?, ?)")) {
                        insert.setString(1, note);
                        insert.setString(2, users.get(random.nextInt(users.size())));
                        insert.setString(3, "transfer " + transfer);
                        insert.executeUpdate();
                    }
                }
                if (seq % 5 == 1 || seq % 5 == 3) {
                    // churn among rows no user syncs, also while the initial copy runs: a filler with a
                    // TOASTed body changes owner (body unchanged, so not in the WAL) or goes away
                    int filler = 10 * (1 + random.nextInt(FaultCampaign.FILLER_NOTES / 10));
                    try (PreparedStatement churn = c.prepareStatement(seq % 5 == 1
                            ? "UPDATE notes SET owner_id = 'nobody-' || ? WHERE id = ?"
                            : "DELETE FROM notes WHERE id = ?")) {
                        int i = 1;
                        if (seq % 5 == 1) {
                            churn.setLong(i++, seq);
                        }
                        churn.setString(i, "filler-" + filler);
                        churn.executeUpdate();
                    }
                }
                c.commit();
                committedTransfers.add(transfer);
                if (note != null) {
                    committedNotes.add(note);
                }
                Thread.sleep(10 + random.nextInt(40));
            } catch (SQLException | RuntimeException e) {
                failures++;
                closeQuietly(c);
                c = null;
                sleep(200);
            } catch (InterruptedException e) {
                break;
            }
        }
        closeQuietly(c);
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            running = false;
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // reconnecting anyway
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
