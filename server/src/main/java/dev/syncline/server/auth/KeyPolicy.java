package dev.syncline.server.auth;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Per-key overrides of the verifier's defaults. Supabase keys use them as PowerSync does: tokens
 * from Supabase Auth carry {@code aud: authenticated} and live up to a week.
 *
 * @param audiences   when present, replaces (not extends) the configured audiences for this key
 * @param maxLifetime when present, replaces the verifier's maximum lifetime for this key
 */
public record KeyPolicy(Optional<List<String>> audiences, Optional<Duration> maxLifetime) {
    public static final KeyPolicy DEFAULT = new KeyPolicy(Optional.empty(), Optional.empty());

    /** Supabase Auth: audience {@code authenticated}, one week plus 20 minutes of margin. */
    public static final KeyPolicy SUPABASE = new KeyPolicy(Optional.of(List.of("authenticated")),
            Optional.of(Duration.ofDays(7).plusMinutes(20)));

    public KeyPolicy {
        audiences = audiences.map(List::copyOf);
    }
}
