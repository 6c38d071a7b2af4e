package dev.syncline.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** block_local_jwks: which addresses are local, and that the fetcher refuses them before connecting. */
class JwksAddressPolicyTest {

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no DNS lookup
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void localAndPrivateAddressesAreLocal() {
        for (String local : List.of("127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.254",
                "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1", "100.127.255.254", "224.0.0.1",
                "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
                "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1")) {
            assertThat(LocalAddresses.isLocal(ip(local))).as(local).isTrue();
        }
    }

    @Test
    void publicAddressesAreNot() {
        for (String pub : List.of("8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1",
                "2606:4700:4700::1111", "::ffff:8.8.8.8")) {
            assertThat(LocalAddresses.isLocal(ip(pub))).as(pub).isFalse();
        }
    }

    @Test
    void blockedFetcherRefusesAHostThatResolvesToAPrivateAddress() {
        // Any local address among the answers is enough: the HTTP client could pick that one.
        HttpJwksFetcher fetcher = new HttpJwksFetcher(true, Duration.ofSeconds(1), Duration.ofSeconds(1),
                host -> new InetAddress[] {ip("93.184.216.34"), ip("10.0.0.7")});
        assertThatThrownBy(() -> fetcher.fetch(URI.create("https://jwks.example.com/keys")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("10.0.0.7").hasMessageContaining("block_local_jwks");
    }

    @Test
    void blockedFetcherRefusesLiteralLoopbackAndMetadataAddresses() {
        HttpJwksFetcher fetcher = new HttpJwksFetcher(true, Duration.ofSeconds(1), Duration.ofSeconds(1),
                InetAddress::getAllByName);
        for (String url : List.of("http://127.0.0.1:1/jwks", "http://169.254.169.254/latest/meta-data",
                "http://[::1]:1/jwks", "http://localhost:1/jwks")) {
            assertThatThrownBy(() -> fetcher.fetch(URI.create(url))).as(url)
                    .isInstanceOf(IOException.class).hasMessageContaining("block_local_jwks");
        }
    }

    @Test
    void privateAddressEndsAsS2101WithTheCacheEmptyAndTheServerUp() {
        MutableClock clock = new MutableClock(JwtFixtures.NOW);
        HttpJwksFetcher fetcher = new HttpJwksFetcher(true, Duration.ofSeconds(1), Duration.ofSeconds(1),
                host -> new InetAddress[] {ip("192.168.0.10")});
        RemoteJwksKeySource source = new RemoteJwksKeySource(URI.create("https://idp.internal/jwks"), fetcher,
                clock, Duration.ofSeconds(30), KeyPolicy.DEFAULT);
        assertThat(source.refresh()).isFalse();
        assertThat(source.lastError()).hasValueSatisfying(m -> assertThat(m).contains("192.168.0.10"));
        TokenVerifier verifier = new TokenVerifier(source, List.of(JwtFixtures.AUDIENCE),
                TokenVerifier.DEFAULT_MAX_LIFETIME, clock);
        assertThatThrownBy(() -> verifier.verify(JwtFixtures.mint(JwtFixtures.RSA, com.nimbusds.jose.JWSAlgorithm.RS256)))
                .isInstanceOfSatisfying(AuthException.class,
                        e -> assertThat(e.code()).isEqualTo(AuthErrorCode.PSYNC_S2101));
    }
}
