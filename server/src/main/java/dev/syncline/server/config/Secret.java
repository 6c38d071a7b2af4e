package dev.syncline.server.config;

/**
 * A password or key from the config. Its {@code toString} never shows the value, so a config record
 * can be logged whole; call {@link #reveal()} only where the value is handed to a driver or verifier.
 */
public record Secret(String value) {
    public Secret {
        java.util.Objects.requireNonNull(value, "value");
    }

    public String reveal() { return value; }

    @Override
    public String toString() { return value.isEmpty() ? "(empty)" : "(secret)"; }
}
