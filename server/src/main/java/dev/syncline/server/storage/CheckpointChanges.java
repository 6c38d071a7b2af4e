package dev.syncline.server.storage;

import java.util.HashSet;
import java.util.Set;

/**
 * What a checkpoint changed since the one announced before it: the buckets that got ops and the
 * parameter-lookup keys whose entries were added or removed. Sync sessions use it to skip
 * checkpoints that cannot change what they send.
 *
 * <p>May over-report (a name that did not really change is harmless), never under-report.
 * {@link #UNKNOWN} means "anything may have changed" — the safe answer of a backend that does not
 * track changes, or of a checkpoint that changed too much to list.
 *
 * @param buckets    bucket names that got at least one op; null when unknown
 * @param lookupKeys parameter-lookup keys ({@link ParameterEntry#lookupKey()}) whose entries changed; null when unknown
 */
public record CheckpointChanges(Set<String> buckets, Set<String> lookupKeys) {
    public static final CheckpointChanges UNKNOWN = new CheckpointChanges(null, null);

    public CheckpointChanges {
        if ((buckets == null) != (lookupKeys == null)) {
            throw new IllegalArgumentException("buckets and lookup keys are either both known or both unknown");
        }
        buckets = buckets == null ? null : Set.copyOf(buckets);
        lookupKeys = lookupKeys == null ? null : Set.copyOf(lookupKeys);
    }

    public boolean known() {
        return buckets != null;
    }

    /**
     * Collects changes on the writer's thread between two announced checkpoints. Bounded: past
     * {@code maxNames} names it stops collecting and reports {@link #UNKNOWN}. Not thread-safe.
     */
    public static final class Collector {
        private final int maxNames;
        private final Set<String> buckets = new HashSet<>();
        private final Set<String> lookupKeys = new HashSet<>();
        private boolean overflowed;

        public Collector(int maxNames) {
            this.maxNames = maxNames;
        }

        public void bucket(String bucket) {
            add(buckets, bucket);
        }

        public void lookupKey(String lookupKey) {
            add(lookupKeys, lookupKey);
        }

        private void add(Set<String> set, String name) {
            if (overflowed || !set.add(name)) {
                return;
            }
            if (buckets.size() + lookupKeys.size() > maxNames) {
                overflowed = true;
                buckets.clear();
                lookupKeys.clear();
            }
        }

        /** Everything collected since the last {@link #drain}, without starting over. */
        public CheckpointChanges peek() {
            return overflowed ? UNKNOWN : new CheckpointChanges(buckets, lookupKeys);
        }

        /** Everything collected since the last call, and starts over. */
        public CheckpointChanges drain() {
            CheckpointChanges out = overflowed ? UNKNOWN : new CheckpointChanges(buckets, lookupKeys);
            buckets.clear();
            lookupKeys.clear();
            overflowed = false;
            return out;
        }
    }
}
