package dev.syncline.server.auth;

/**
 * The PowerSync auth error codes a client can receive (PROTOCOL.md §1). Every one of them is sent
 * with HTTP 401, which makes the PowerSync SDKs fetch new credentials and retry.
 */
public enum AuthErrorCode {
    /** Generic: malformed token, unsupported or mismatched algorithm, no key, bad signature, bad claim. */
    PSYNC_S2101,
    /** The token's {@code exp} lies more than the clock tolerance in the past. */
    PSYNC_S2103,
    /** {@code exp − iat} is longer than the configured maximum lifetime. */
    PSYNC_S2104,
    /** {@code aud} is missing or names none of the configured audiences. */
    PSYNC_S2105,
    /** No token: the {@code Authorization} header is missing, empty or not {@code Token}/{@code Bearer}. */
    PSYNC_S2106
}
