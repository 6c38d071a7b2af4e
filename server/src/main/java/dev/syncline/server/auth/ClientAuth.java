package dev.syncline.server.auth;

import dev.syncline.server.config.ClientAuthConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires {@code client_auth} into a running {@link TokenVerifier}: inline keys, the Supabase secret,
 * JWKS URLs with their background refresh. {@code start} fetches every JWKS URL once before it
 * returns (bounded by the HTTP timeouts); closing it stops the refresh thread.
 */
public final class ClientAuth implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClientAuth.class);

    /** Knobs of the JWKS cache; {@link #DEFAULT} suits production. */
    public record JwksSettings(Duration refreshInterval, Duration minRefreshGap) {
        public static final JwksSettings DEFAULT = new JwksSettings(Duration.ofMinutes(5), Duration.ofSeconds(30));
    }

    private final TokenVerifier verifier;
    private final List<RemoteJwksKeySource> remote;
    private final JwksRefresher refresher;

    private ClientAuth(TokenVerifier verifier, List<RemoteJwksKeySource> remote, JwksRefresher refresher) {
        this.verifier = verifier;
        this.remote = remote;
        this.refresher = refresher;
    }

    /**
     * Production wiring: JDK HTTP client, system DNS, default cache settings.
     *
     * @param supabaseJwks the Auth JWKS URL of the Supabase project the source database belongs to
     *                     ({@link SupabaseProject#jwksUri}); used only when {@code supabase: true}
     */
    public static ClientAuth start(ClientAuthConfig config, Optional<URI> supabaseJwks, Duration maxLifetime, Clock clock) {
        return start(config, supabaseJwks, maxLifetime, clock, HttpJwksFetcher.create(config.blockLocalJwks()),
                JwksSettings.DEFAULT);
    }

    /** As {@link #start(ClientAuthConfig, Optional, Duration, Clock, JwksFetcher, JwksSettings)} for a non-Supabase source. */
    public static ClientAuth start(ClientAuthConfig config, Duration maxLifetime, Clock clock, JwksFetcher fetcher,
                                   JwksSettings settings) {
        return start(config, Optional.empty(), maxLifetime, clock, fetcher, settings);
    }

    /**
     * @throws IllegalArgumentException when an inline key cannot verify anything, or when
     *         {@code supabase: true} is the only key source and the source database is not on Supabase
     *         (the message names the setting and the fix)
     */
    public static ClientAuth start(ClientAuthConfig config, Optional<URI> supabaseJwks, Duration maxLifetime,
                                   Clock clock, JwksFetcher fetcher, JwksSettings settings) {
        List<KeySource> sources = new ArrayList<>();
        sources.add(KeySource.of(staticKeys(config)));
        List<RemoteJwksKeySource> remote = new ArrayList<>();
        for (URI uri : config.jwksUri()) {
            remote.add(new RemoteJwksKeySource(uri, fetcher, clock, settings.minRefreshGap(), KeyPolicy.DEFAULT));
        }
        sources.addAll(remote);
        if (config.supabase()) {
            if (supabaseJwks.isPresent()) {
                // Supabase Auth tokens carry aud `authenticated` and may live a week, whatever the
                // configured audiences say: the key's policy overrides them, as for the legacy secret.
                remote.add(new RemoteJwksKeySource(supabaseJwks.get(), fetcher, clock, settings.minRefreshGap(),
                        KeyPolicy.SUPABASE));
                sources.add(remote.getLast());
                log.info("client_auth.supabase: trusting the signing keys at {}", supabaseJwks.get());
            } else if (config.jwksUri().isEmpty() && config.jwks().isEmpty() && config.supabaseJwtSecret().isEmpty()) {
                throw new IllegalArgumentException("client_auth.supabase: true, but the source database is not a"
                        + " Supabase host (db.<project>.supabase.co, or the pooler with user <role>.<project>), so"
                        + " no Supabase signing keys can be found — add"
                        + " https://<project>.supabase.co/auth/v1/.well-known/jwks.json to client_auth.jwks_uri");
            } else {
                log.warn("client_auth.supabase: the source database is not a Supabase host, so only the other"
                        + " configured keys are used — add https://<project>.supabase.co/auth/v1/.well-known/jwks.json"
                        + " to client_auth.jwks_uri if Supabase tokens must be accepted");
            }
        }
        if (config.audience().isEmpty()) {
            log.warn("client_auth.audience is empty: every token is refused with PSYNC_S2105{}",
                    config.supabaseJwtSecret().isPresent() ? " except Supabase tokens (aud authenticated)" : "");
        }
        TokenVerifier verifier = new TokenVerifier(KeySource.combine(sources), config.audience(), maxLifetime, clock);
        // Load once before serving, so the first clients do not race the first fetch. A failure is
        // logged by the source and retried by the schedule or by the first token with an unknown kid.
        for (RemoteJwksKeySource source : remote) {
            source.refresh();
        }
        JwksRefresher refresher = JwksRefresher.start(remote, settings.refreshInterval());
        return new ClientAuth(verifier, List.copyOf(remote), refresher);
    }

    static List<VerificationKey> staticKeys(ClientAuthConfig config) {
        List<VerificationKey> keys = new ArrayList<>();
        for (int i = 0; i < config.jwks().size(); i++) {
            Map<String, Object> jwk = config.jwks().get(i);
            String source = "client_auth.jwks.keys[" + i + "]";
            try {
                keys.add(JwkKeys.fromMap(jwk, KeyPolicy.DEFAULT, true, source));
            } catch (JwkKeys.UnusableKeyException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }
        config.supabaseJwtSecret().ifPresent(secret -> {
            // As in PowerSync: the Supabase secret is used as text (UTF-8), not base64, is a wildcard
            // key (any kid), and its tokens carry aud `authenticated` and may live a week.
            byte[] bytes = secret.reveal().getBytes(StandardCharsets.UTF_8);
            OctetSequenceKey jwk = new OctetSequenceKey.Builder(new SecretKeySpec(bytes, "HmacSHA256"))
                    .algorithm(com.nimbusds.jose.JWSAlgorithm.HS256).build();
            try {
                keys.add(JwkKeys.fromJwk(jwk, KeyPolicy.SUPABASE, true, "client_auth.supabase_jwt_secret"));
            } catch (JwkKeys.UnusableKeyException e) {
                throw new IllegalArgumentException("client_auth.supabase_jwt_secret: must be at least 32 characters");
            }
        });
        return List.copyOf(keys);
    }

    public TokenVerifier verifier() { return verifier; }

    /** The JWKS URL caches, for readiness checks and metrics. */
    public List<RemoteJwksKeySource> jwksSources() { return remote; }

    @Override
    public void close() {
        refresher.close();
    }
}
