package dev.syncline.server.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 30d}) and sizes ({@code 512KB}, {@code 64MB}, {@code 1GB}). */
final class Units {
    private static final Pattern AMOUNT = Pattern.compile("([0-9]+)\\s*([a-zA-Z]*)");

    private Units() {}

    static Optional<Duration> duration(Section s, String key, Duration min, Duration max) {
        Optional<String> text = s.string(key);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = AMOUNT.matcher(text.get().strip());
        Duration value = null;
        if (m.matches() && m.group(1).length() <= 9) {
            long n = Long.parseLong(m.group(1));
            value = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> null;
            };
        }
        if (value == null) {
            s.problem(key, "must be a duration with a unit (ms, s, m, h, d), e.g. `30s` — found `" + text.get() + "`");
            return Optional.empty();
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            s.problem(key, "must be between " + format(min) + " and " + format(max) + ", found `" + text.get() + "`");
            return Optional.empty();
        }
        return Optional.of(value);
    }

    /** KB, MB and GB are powers of 1024, as operators mean them when sizing memory. */
    static Optional<Long> bytes(Section s, String key, long min, long max) {
        Optional<String> text = s.string(key);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = AMOUNT.matcher(text.get().strip());
        Long value = null;
        if (m.matches() && m.group(1).length() <= 12) {
            long n = Long.parseLong(m.group(1));
            value = switch (m.group(2).toUpperCase(Locale.ROOT)) {
                case "", "B" -> n;
                case "KB", "KIB" -> n << 10;
                case "MB", "MIB" -> n << 20;
                case "GB", "GIB" -> n << 30;
                default -> null;
            };
        }
        if (value == null) {
            s.problem(key, "must be a size such as `64MB` or `1GB` (units B, KB, MB, GB) — found `" + text.get() + "`");
            return Optional.empty();
        }
        if (value < min || value > max) {
            s.problem(key, "must be between " + formatBytes(min) + " and " + formatBytes(max) + ", found `" + text.get() + "`");
            return Optional.empty();
        }
        return Optional.of(value);
    }

    static String format(Duration d) {
        if (d.toMillis() % 1000 != 0) {
            return d.toMillis() + "ms";
        }
        long seconds = d.toSeconds();
        if (seconds % 86400 == 0 && seconds > 86400) {
            return seconds / 86400 + "d";
        }
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
    }

    static String formatBytes(long bytes) {
        if (bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "GB";
        }
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "MB";
        }
        return bytes % 1024 == 0 ? (bytes >> 10) + "KB" : bytes + "B";
    }
}
