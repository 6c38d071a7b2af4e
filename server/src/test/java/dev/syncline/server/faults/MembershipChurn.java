package dev.syncline.server.faults;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Permission churn straight in PostgreSQL: grants and revokes users' access to groups of
 * {@code secrets} (through {@code secret_grants}, read by a parameter query) and changes secret
 * rows meanwhile. A grant is recorded in {@link #everGranted} <b>before</b> it commits, so the
 * authorisation oracle ({@link #mayHaveSeen}) never blames a client for a grant it could see: a
 * client holding a secret of a group it was never granted is a leak.
 */
final class MembershipChurn implements AutoCloseable {
    static final int SECRET_GROUPS = 3;
    static final int SECRETS_PER_GROUP = 3;

    private final Supplier<Connection> connect;
    private final List<String> users;
    private final Random random;
    private final Set<String> everGranted = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long changes;

    MembershipChurn(Supplier<Connection> connect, List<String> users, long seed) {
        this.connect = connect;
        this.users = users;
        this.random = new Random(seed);
        this.thread = Thread.ofPlatform().daemon().name("churn").start(this::loop);
    }

    boolean mayHaveSeen(String user, String group) {
        return everGranted.contains(user + "/" + group);
    }

    long changes() { return changes; }

    private void loop() {
        Connection c = null;
        while (running) {
            try {
                if (c == null) {
                    c = connect.get();
                }
                String user = users.get(random.nextInt(users.size()));
                String group = "s" + random.nextInt(SECRET_GROUPS);
                int action = random.nextInt(3);
                if (action == 0) {
                    everGranted.add(user + "/" + group); // before the commit: the client may see it from then on
                    try (PreparedStatement s = c.prepareStatement(
                            "INSERT INTO secret_grants VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                        s.setString(1, user);
                        s.setString(2, group);
                        s.executeUpdate();
                    }
                } else if (action == 1) {
                    try (PreparedStatement s = c.prepareStatement(
                            "DELETE FROM secret_grants WHERE user_id = ? AND grp = ?")) {
                        s.setString(1, user);
                        s.setString(2, group);
                        s.executeUpdate();
                    }
                } else {
                    try (PreparedStatement s = c.prepareStatement("UPDATE secrets SET body = ? WHERE id = ?")) {
                        s.setString(1, "v" + random.nextInt(1_000_000));
                        s.setString(2, group + "-" + random.nextInt(SECRETS_PER_GROUP));
                        s.executeUpdate();
                    }
                }
                changes++;
                Thread.sleep(200 + random.nextInt(600));
            } catch (SQLException | RuntimeException e) {
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
