package dev.syncline.rules;

/**
 * What a connection brings to bucket resolution: the verified JWT and the client's own parameters.
 *
 * @param userId the token's {@code sub}, returned by {@code request.user_id()}; may be null
 * @param jwtClaimsJson the whole verified token payload as a JSON object
 * @param clientParametersJson the client's {@code parameters} as a JSON object; untrusted; null or
 *     anything but an object counts as {@code {}}
 */
public record RequestContext(String userId, String jwtClaimsJson, String clientParametersJson) {}
