package dev.syncline.server.config;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The source database, as {@code replication.connections[0]}. Written either as one {@code uri} or
 * as separate fields; both forms end up here. {@code toString} hides the password.
 */
public record PostgresConnectionConfig(String tag, String hostname, int port, String database,
                                       String username, Secret password, SslMode sslmode) {
    public static final int DEFAULT_PORT = 5432;
    /** Same default as the PowerSync service: encrypted and the server's certificate checked. */
    public static final SslMode DEFAULT_SSLMODE = SslMode.VERIFY_FULL;
    static final List<String> FIELD_KEYS = List.of("hostname", "port", "database", "username", "password");

    /** {@code jdbc:postgresql://host:port/database}; credentials and TLS settings are in {@link #jdbcProperties()}. */
    public String jdbcUrl() {
        String host = hostname.contains(":") && !hostname.startsWith("[") ? "[" + hostname + "]" : hostname;
        return "jdbc:postgresql://" + host + ":" + port + "/"
                + URLEncoder.encode(database, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** user, password and sslmode for pgjdbc; kept out of the URL so the URL can be logged. */
    public Properties jdbcProperties() {
        Properties properties = new Properties();
        properties.setProperty("user", username);
        if (!password.reveal().isEmpty()) {
            properties.setProperty("password", password.reveal());
        }
        properties.setProperty("sslmode", sslmode.configName());
        properties.setProperty("ApplicationName", "syncline");
        return properties;
    }

    static Optional<PostgresConnectionConfig> read(Section s) {
        Optional<String> type = s.string("type");
        if (type.isEmpty()) {
            s.problems.add(s.key("type"), s.position(), "`type` is required — add `type: postgresql`");
        } else if (!type.get().strip().equals("postgresql")) {
            s.problem("type", "`type` must be postgresql (the only source supported), found `" + type.get() + "`");
        }
        String tag = s.string("tag", "default");
        Optional<String> uri = s.string("uri");
        Optional<String> hostname = s.string("hostname");
        Optional<Long> port = s.integer("port", 1, 65535);
        Optional<String> database = s.string("database");
        Optional<String> username = s.string("username");
        Optional<String> password = s.string("password");
        String sslmodeText = s.oneOf("sslmode", null, SslMode.configNames());
        Optional<SslMode> sslmode = Optional.ofNullable(sslmodeText).map(SslMode::fromConfigName);

        List<String> fieldsGiven = FIELD_KEYS.stream().filter(s::has).toList();
        if (uri.isPresent() && !fieldsGiven.isEmpty()) {
            s.problem("uri", "give either `uri` or separate fields, not both — remove `uri` or remove "
                    + String.join(", ", fieldsGiven.stream().map(k -> "`" + k + "`").toList()));
            return Optional.empty();
        }
        if (uri.isPresent()) {
            return PostgresUri.parse(uri.get(), s.key("uri"), s.at("uri"), s.problems)
                    .flatMap(u -> resolveSslMode(s, sslmode, u.sslmode()).map(mode ->
                            new PostgresConnectionConfig(tag, u.hostname(), u.port(), u.database(), u.username(),
                                    u.password(), mode)));
        }
        if (fieldsGiven.isEmpty()) {
            s.problems.add(s.path(), s.position(), "no database given — set `uri: postgresql://user:password@host:5432/database`"
                    + " or `hostname`, `database`, `username` and `password`");
            return Optional.empty();
        }
        // `&`, not `&&`: report every missing field in one run.
        boolean complete = require(s, "hostname", hostname) & require(s, "database", database)
                & require(s, "username", username);
        if (!complete) {
            return Optional.empty();
        }
        return Optional.of(new PostgresConnectionConfig(tag, hostname.get(), port.map(Long::intValue).orElse(DEFAULT_PORT),
                database.get(), username.get(), new Secret(password.orElse("")), sslmode.orElse(DEFAULT_SSLMODE)));
    }

    private static boolean require(Section s, String key, Optional<String> value) {
        if (value.isEmpty()) {
            s.problems.add(s.key(key), s.position(), "`" + key + "` is required when `uri` is not given");
        }
        return value.isPresent();
    }

    private static Optional<SslMode> resolveSslMode(Section s, Optional<SslMode> key, Optional<SslMode> inUri) {
        if (key.isPresent() && inUri.isPresent() && key.get() != inUri.get()) {
            s.problem("sslmode", "`sslmode: " + key.get().configName() + "` contradicts `sslmode="
                    + inUri.get().configName() + "` in `uri` — keep one of them");
            return Optional.empty();
        }
        return Optional.of(key.or(() -> inUri).orElse(DEFAULT_SSLMODE));
    }
}
