package dev.syncline.server.auth;

import java.time.Instant;

/** A verified token: the user ({@code sub}), the whole claim set as JSON, and when it expires. */
public record AuthenticatedUser(String userId, String claimsJson, Instant expiresAt) {}
