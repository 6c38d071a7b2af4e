package dev.syncline.server.auth;

import java.util.List;

/**
 * Where verification keys come from: inline config, a JWKS URL, or several of them together.
 * Implementations are thread-safe; {@link #keys()} is cheap and never does I/O.
 */
public interface KeySource {
    /** The keys known right now. */
    List<VerificationKey> keys();

    /**
     * A token named a {@code kid} no key has, or no key verified it: fetch fresher keys if that is
     * allowed now. Implementations rate-limit this, so a flood of forged tokens costs at most one
     * fetch per interval. Returns true when the keys were (re)loaded and a second look is worth it.
     */
    default boolean refreshForUnknownKey() {
        return false;
    }

    static KeySource of(List<VerificationKey> keys) {
        List<VerificationKey> copy = List.copyOf(keys);
        return () -> copy;
    }

    static KeySource combine(List<? extends KeySource> sources) {
        List<KeySource> all = List.copyOf(sources);
        return new KeySource() {
            @Override
            public List<VerificationKey> keys() {
                return all.stream().flatMap(s -> s.keys().stream()).toList();
            }

            @Override
            public boolean refreshForUnknownKey() {
                boolean any = false;
                for (KeySource s : all) {
                    any |= s.refreshForUnknownKey();
                }
                return any;
            }
        };
    }
}
