package dev.syncline.server.generation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Names what a storage generation's bucket contents depend on: the sync config text and, when
 * {@code capture.tables} lists the tables explicitly, that list. With the default (the tables the
 * rules read) it equals the diagnostics' {@code rules_fingerprint}, the SHA-256 of the rules text.
 */
public final class RulesFingerprint {
    private RulesFingerprint() {}

    /** @param configuredTables {@code capture.tables} as configured ({@code schema.table}); empty for the default */
    public static String of(String rulesText, List<String> configuredTables) {
        String text = configuredTables.isEmpty() ? rulesText
                : rulesText + "\n# capture.tables: " + String.join(", ", configuredTables.stream().sorted().toList());
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first 12 hex digits, for log lines. */
    public static String shortForm(String fingerprint) {
        return fingerprint.length() <= 12 ? fingerprint : fingerprint.substring(0, 12);
    }
}
