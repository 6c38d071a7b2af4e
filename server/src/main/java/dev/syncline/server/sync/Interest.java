package dev.syncline.server.sync;

import dev.syncline.server.storage.CheckpointChanges;

import java.util.HashSet;
import java.util.Set;

/**
 * What one connection's last evaluation depended on, as topics of the {@link GenerationFeed}: its
 * buckets (a change there changes a checksum it sends), the parameter-lookup keys its sync rules
 * read (a change there may grant or revoke a bucket) and its write-checkpoint counter. A change to
 * none of them cannot change what the connection is told, so the session need not evaluate it.
 *
 * <p>Topics share one namespace: a bucket is its own name; lookup keys and write-checkpoint
 * counters carry a control-character prefix no bucket name has.
 *
 * @param topics          the topics above
 * @param everyCheckpoint true when any change is relevant: nothing is known yet, or the connection
 *                        waits for a write checkpoint that replication passes at some checkpoint
 *                        that may change nothing else
 */
public record Interest(Set<String> topics, boolean everyCheckpoint) {
    /** Before anything is known: every change is relevant. */
    public static final Interest EVERYTHING = new Interest(Set.of(), true);

    public Interest {
        topics = Set.copyOf(topics);
    }

    public static String lookupTopic(String lookupKey) {
        return "\u0001" + lookupKey;
    }

    public static String writeCheckpointTopic(String userId, String clientId) {
        return "\u0002" + userId + "\u0000" + clientId;
    }

    /** A storage checkpoint's changes as topics; null (anything may have changed) when unknown. */
    public static Set<String> topicsOf(CheckpointChanges changes) {
        if (!changes.known()) {
            return null;
        }
        Set<String> topics = new HashSet<>(changes.buckets());
        for (String key : changes.lookupKeys()) {
            topics.add(lookupTopic(key));
        }
        return topics;
    }

    /** Whether a change to {@code changed} (null: anything) may matter to this interest. */
    public boolean matches(Set<String> changed) {
        if (everyCheckpoint || changed == null) {
            return true;
        }
        Set<String> small = changed.size() <= topics.size() ? changed : topics;
        Set<String> large = small == changed ? topics : changed;
        for (String t : small) {
            if (large.contains(t)) {
                return true;
            }
        }
        return false;
    }
}
