package dev.syncline.server.auth;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Which addresses count as local for {@code block_local_jwks}: loopback, private, link-local,
 * carrier-grade NAT, unique-local IPv6, unspecified, multicast and broadcast — anything that is not a
 * public unicast address, so a JWKS URL cannot be pointed at the server's own network.
 */
final class LocalAddresses {
    private LocalAddresses() {}

    static boolean isLocal(InetAddress address) {
        if (address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
                || address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 0                                   // "this network"
                    || (first == 100 && (second & 0xc0) == 64)  // 100.64.0.0/10, carrier-grade NAT
                    || (first == 192 && second == 0 && (b[2] & 0xff) == 0) // 192.0.0.0/24, IETF protocol
                    || (first == 198 && (second & 0xfe) == 18)  // 198.18.0.0/15, benchmarking
                    || first >= 240;                            // reserved and 255.255.255.255
        }
        if (address instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {                        // fc00::/7, unique local
                return true;
            }
            if (isIpv4Mapped(b)) {                              // ::ffff:a.b.c.d hides an IPv4 address
                try {
                    return isLocal(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
                } catch (UnknownHostException e) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isIpv4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }
}
