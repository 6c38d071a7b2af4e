package dev.syncline.server.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Parses config text against an in-memory directory {@code /cfg}, so config tests touch no disk. */
final class ConfigFixtures {
    static final Path DIR = Path.of("/cfg");
    static final String RULES = """
            bucket_definitions:
              global:
                data:
                  - SELECT * FROM lists
            """;
    static final String HS256_KEY = "c3luY2xpbmUtdGVzdC1zZWNyZXQtb2YtMzItYnl0ZXMhIQ";

    final Map<Path, String> files = new HashMap<>(Map.of(DIR.resolve("sync-rules.yaml"), RULES));
    final Map<String, String> env = new HashMap<>();

    SynclineConfig parse(String yaml) throws ConfigException {
        return ConfigParser.parse("syncline.yaml", yaml, DIR, env, this::read);
    }

    /** The formatted problems; fails when the text is valid. */
    List<String> problems(String yaml) {
        List<String> out = new java.util.ArrayList<>();
        assertThatThrownBy(() -> parse(yaml)).isInstanceOfSatisfying(ConfigException.class,
                e -> e.problems().forEach(p -> out.add(p.format())));
        return out;
    }

    private String read(Path path) throws IOException {
        String text = files.get(path);
        if (text == null) {
            throw new NoSuchFileException(path.toString());
        }
        return text;
    }

    /** A valid file with only what has no default. */
    static final String MINIMAL = """
            replication:
              connections:
                - type: postgresql
                  uri: postgresql://app:secret@db.internal:5433/shop
            sync_rules:
              path: sync-rules.yaml
            client_auth:
              jwks_uri: https://auth.example.com/jwks.json
            """;
}
