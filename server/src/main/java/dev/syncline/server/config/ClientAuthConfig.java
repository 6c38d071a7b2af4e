package dev.syncline.server.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How client JWTs are verified, in PowerSync's {@code client_auth} layout. Shared HMAC secrets
 * (HS256/384/512) are JWKs with {@code kty: oct} in {@code jwks}, as in PowerSync; there is no
 * separate secrets key. Only modelled and checked here: verification belongs to the sync API.
 */
public record ClientAuthConfig(List<URI> jwksUri, List<Map<String, Object>> jwks, List<String> audience,
                               boolean blockLocalJwks, boolean supabase, Optional<Secret> supabaseJwtSecret) {

    static ClientAuthConfig read(Section s) {
        int problemsBefore = s.problems.size();
        List<URI> uris = new ArrayList<>();
        for (String text : s.stringList("jwks_uri")) {
            try {
                URI uri = new URI(text.strip());
                if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw new URISyntaxException(text, "not an http(s) URL with a host");
                }
                uris.add(uri);
            } catch (URISyntaxException e) {
                s.problem("jwks_uri", "`" + text + "` is not an http(s) URL — e.g. https://example.com/.well-known/jwks.json");
            }
        }
        Section jwksSection = s.section("jwks");
        List<Map<String, Object>> keys = Jwks.read(jwksSection);
        jwksSection.finish();
        List<String> audience = s.stringList("audience");
        boolean blockLocal = s.bool("block_local_jwks", false);
        boolean supabase = s.bool("supabase", false);
        Optional<Secret> supabaseSecret = s.string("supabase_jwt_secret").filter(v -> !v.isEmpty()).map(Secret::new);
        // Only when nothing else was wrong here: a broken key already says what to fix.
        if (uris.isEmpty() && keys.isEmpty() && !supabase && supabaseSecret.isEmpty()
                && s.problems.size() == problemsBefore) {
            s.problems.add(s.path().isEmpty() ? "client_auth" : s.path(), s.position(),
                    "no way to verify client tokens — set `jwks_uri`, `jwks.keys` (an HS256 secret is a key"
                    + " with `kty: oct`), or `supabase: true`");
        }
        return new ClientAuthConfig(List.copyOf(uris), keys, audience, blockLocal, supabase, supabaseSecret);
    }

    /** Key ids and types only: {@code oct} keys are secrets. */
    @Override
    public String toString() {
        return "ClientAuthConfig[jwksUri=" + jwksUri + ", jwks=" + jwks.stream()
                .map(k -> k.get("kty") + (k.containsKey("kid") ? ":" + k.get("kid") : "")).toList()
                + ", audience=" + audience + ", blockLocalJwks=" + blockLocalJwks + ", supabase=" + supabase
                + ", supabaseJwtSecret=" + supabaseJwtSecret.map(Secret::toString).orElse("(none)") + "]";
    }
}
