package dev.syncline.server.config;

import java.util.Arrays;
import java.util.List;

/** libpq's {@code sslmode} values; pgjdbc accepts the same names. */
public enum SslMode {
    DISABLE, ALLOW, PREFER, REQUIRE, VERIFY_CA, VERIFY_FULL;

    public String configName() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }

    /** As written in config files and libpq URIs, so logs read like the config. */
    @Override
    public String toString() { return configName(); }

    static List<String> configNames() { return Arrays.stream(values()).map(SslMode::configName).toList(); }

    static SslMode fromConfigName(String name) {
        return valueOf(name.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
}
