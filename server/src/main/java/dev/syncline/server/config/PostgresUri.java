package dev.syncline.server.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Parses {@code postgresql://user:password@host:port/database?sslmode=…}. Messages never quote the
 * URI itself: it holds the password.
 */
record PostgresUri(String hostname, int port, String database, String username, Secret password,
                   Optional<SslMode> sslmode) {
    private static final String SHAPE = "postgresql://user:password@host:5432/database";

    static Optional<PostgresUri> parse(String text, String key, YamlNode.Position at, Problems problems) {
        try {
            return parseChecked(text, key, at, problems);
        } catch (IllegalArgumentException e) {
            problems.add(key, at, "has a broken %-escape — write `%` followed by two hex digits, e.g. `@` as %40");
            return Optional.empty();
        }
    }

    private static Optional<PostgresUri> parseChecked(String text, String key, YamlNode.Position at, Problems problems) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            problems.add(key, at, "not a valid URI (" + e.getReason() + " at character " + e.getIndex()
                    + ") — expected " + SHAPE + "; percent-encode special characters in the password, e.g. `@` as %40");
            return Optional.empty();
        }
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
            problems.add(key, at, "must start with postgresql:// — expected " + SHAPE);
            return Optional.empty();
        }
        if (uri.getHost() == null || uri.getRawUserInfo() == null) {
            problems.add(key, at, "needs a user and a host — expected " + SHAPE
                    + "; percent-encode special characters in the password");
            return Optional.empty();
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (path.length() <= 1) {
            problems.add(key, at, "needs a database name after the host — expected " + SHAPE);
            return Optional.empty();
        }
        String userInfo = uri.getRawUserInfo();
        int colon = userInfo.indexOf(':');
        String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
        String password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
        Optional<SslMode> sslmode = Optional.empty();
        if (uri.getRawQuery() != null) {
            for (String parameter : uri.getRawQuery().split("&")) {
                int eq = parameter.indexOf('=');
                String name = decode(eq < 0 ? parameter : parameter.substring(0, eq));
                String value = eq < 0 ? "" : decode(parameter.substring(eq + 1));
                if (!name.equals("sslmode")) {
                    problems.add(key, at, "URI parameter `" + name + "` is not supported — only `sslmode` is");
                    return Optional.empty();
                }
                if (!SslMode.configNames().contains(value)) {
                    problems.add(key, at, "`sslmode` must be one of " + String.join(", ", SslMode.configNames())
                            + " — found `" + value + "`");
                    return Optional.empty();
                }
                sslmode = Optional.of(SslMode.fromConfigName(value));
            }
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        int port = uri.getPort() < 0 ? PostgresConnectionConfig.DEFAULT_PORT : uri.getPort();
        return Optional.of(new PostgresUri(host, port, decode(path.substring(1)), user, new Secret(password), sslmode));
    }

    private static String decode(String raw) {
        // URLDecoder would turn `+` into a space; in a URI's user info and path `+` is itself.
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
