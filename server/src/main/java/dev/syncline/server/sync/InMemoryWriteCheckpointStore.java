package dev.syncline.server.sync;

import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.WriteCheckpointStore;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link WriteCheckpointStore} in memory: correct while the process lives. A restart loses the
 * mappings, so a client waiting for one reconnects and waits until its next upload asks again.
 */
public final class InMemoryWriteCheckpointStore implements WriteCheckpointStore {
    private final Map<String, NavigableMap<Long, CommitPosition>> byClient = new ConcurrentHashMap<>();
    /** Per user, its clients from least to most recently recorded. */
    private final Map<String, LinkedHashMap<String, Boolean>> clientsByUser = new HashMap<>();

    @Override
    public void record(String userId, String clientId, long value, CommitPosition position) {
        NavigableMap<Long, CommitPosition> values = byClient.computeIfAbsent(key(userId, clientId), k -> new TreeMap<>());
        synchronized (clientsByUser) {
            LinkedHashMap<String, Boolean> clients = clientsByUser.computeIfAbsent(userId,
                    u -> new LinkedHashMap<>(16, 0.75f, true));
            clients.put(clientId, Boolean.TRUE);
            for (var it = clients.keySet().iterator(); clients.size() > MAX_CLIENTS_PER_USER; ) {
                byClient.remove(key(userId, it.next()));
                it.remove();
            }
        }
        synchronized (values) {
            values.put(value, position);
            // Only the newest few matter: a client waits for its latest checkpoint.
            while (values.size() > 16) {
                values.pollFirstEntry();
            }
        }
    }

    @Override
    public long latest(String userId, String clientId) {
        NavigableMap<Long, CommitPosition> values = byClient.get(key(userId, clientId));
        if (values == null) {
            return 0;
        }
        synchronized (values) {
            return values.isEmpty() ? 0 : values.lastKey();
        }
    }

    @Override
    public Optional<Long> reached(String userId, String clientId, CommitPosition replicated) {
        NavigableMap<Long, CommitPosition> values = byClient.get(key(userId, clientId));
        if (values == null) {
            return Optional.empty();
        }
        synchronized (values) {
            for (Map.Entry<Long, CommitPosition> e : values.descendingMap().entrySet()) {
                if (e.getValue().isAtOrBefore(replicated)) {
                    return Optional.of(e.getKey());
                }
            }
            return Optional.empty();
        }
    }

    private static String key(String userId, String clientId) {
        return userId + "\u0000" + clientId;
    }
}
