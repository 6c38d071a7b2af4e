package dev.syncline.server.auth;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the Supabase project behind the source database connection, so {@code client_auth.supabase:
 * true} can trust that project's Auth signing keys without a hand-written JWKS URL (PowerSync does
 * the same). Two connection shapes name the project: the direct host {@code db.<ref>.supabase.co},
 * and the shared pooler ({@code *.pooler.supabase.com}) whose user name is {@code <role>.<ref>}.
 */
public final class SupabaseProject {
    // Project refs are lower-case letters and digits (20 today); accept any plausible length.
    private static final Pattern DIRECT_HOST = Pattern.compile("db\\.([a-z0-9]{8,40})\\.supabase\\.co");
    private static final Pattern POOLER_HOST = Pattern.compile("[a-z0-9.-]+\\.pooler\\.supabase\\.com");
    private static final Pattern POOLER_USER = Pattern.compile("[^.]+\\.([a-z0-9]{8,40})");

    private SupabaseProject() {}

    /** The project ref, when the host (and, for the pooler, the user name) identify one. */
    public static Optional<String> ref(String hostname, String username) {
        String host = hostname.toLowerCase(Locale.ROOT);
        Matcher direct = DIRECT_HOST.matcher(host);
        if (direct.matches()) {
            return Optional.of(direct.group(1));
        }
        if (POOLER_HOST.matcher(host).matches() && username != null) {
            Matcher user = POOLER_USER.matcher(username.toLowerCase(Locale.ROOT));
            if (user.matches()) {
                return Optional.of(user.group(1));
            }
        }
        return Optional.empty();
    }

    /** {@code https://<ref>.supabase.co/auth/v1/.well-known/jwks.json} for the connection's project. */
    public static Optional<URI> jwksUri(String hostname, String username) {
        return ref(hostname, username).map(r -> URI.create("https://" + r + ".supabase.co/auth/v1/.well-known/jwks.json"));
    }
}
