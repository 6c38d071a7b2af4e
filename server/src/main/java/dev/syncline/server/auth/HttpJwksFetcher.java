package dev.syncline.server.auth;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Fetches JWKS documents with the JDK HTTP client: bounded connect and response timeouts, no
 * redirects (a redirect could lead past the address check), at most {@value #MAX_BODY_BYTES} bytes.
 *
 * <p>With {@code blockLocal}, the host is resolved first and refused when any of its addresses is
 * {@linkplain LocalAddresses#isLocal local}. The HTTP client resolves the name again when it
 * connects, so a DNS server that answers differently the second time (rebinding) is not stopped here.
 */
public final class HttpJwksFetcher implements JwksFetcher {
    static final int MAX_BODY_BYTES = 1024 * 1024;

    /** Name resolution, replaceable so address checks are testable without DNS. */
    @FunctionalInterface
    public interface HostResolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final HttpClient client;
    private final Duration requestTimeout;
    private final boolean blockLocal;
    private final HostResolver resolver;

    public HttpJwksFetcher(boolean blockLocal, Duration connectTimeout, Duration requestTimeout, HostResolver resolver) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.requestTimeout = requestTimeout;
        this.blockLocal = blockLocal;
        this.resolver = resolver;
    }

    /** 5 s to connect, 10 s for the whole response, system DNS. */
    public static HttpJwksFetcher create(boolean blockLocal) {
        return new HttpJwksFetcher(blockLocal, Duration.ofSeconds(5), Duration.ofSeconds(10), InetAddress::getAllByName);
    }

    @Override
    public String fetch(URI uri) throws IOException {
        if (blockLocal) {
            checkNotLocal(uri);
        }
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Accept", "application/json")
                .GET()
                .build();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + uri, e);
        }
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException(uri + " answered HTTP " + response.statusCode());
            }
            byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new IOException(uri + " sent more than " + MAX_BODY_BYTES + " bytes");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private void checkNotLocal(URI uri) throws IOException {
        String host = uri.getHost();
        if (host == null) {
            throw new IOException(uri + " has no host");
        }
        // URI keeps the brackets of an IPv6 literal; the resolver wants the bare address.
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        for (InetAddress address : resolver.resolve(bare)) {
            if (LocalAddresses.isLocal(address)) {
                throw new IOException(uri + " resolves to the local address " + address.getHostAddress()
                        + ", refused because client_auth.block_local_jwks is true");
            }
        }
    }
}
