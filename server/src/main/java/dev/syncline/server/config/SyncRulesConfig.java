package dev.syncline.server.config;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The sync rules text, read at start. {@code path} is the file it came from, or empty when it was
 * written inline as {@code content}. {@code key} is the config key it was given under:
 * {@code sync_config} (PowerSync's current name) or its deprecated alias {@code sync_rules}.
 */
public record SyncRulesConfig(Optional<Path> path, String content, String key) {

    /** The current key, {@code sync_config}. */
    public static final String KEY = "sync_config";
    /** The deprecated alias PowerSync still accepts, so older service configs load unchanged. */
    public static final String LEGACY_KEY = "sync_rules";

    public SyncRulesConfig(Optional<Path> path, String content) {
        this(path, content, KEY);
    }

    /** Reads files for the parser; tests pass a map, production passes {@code Files::readString}. */
    public interface TextFiles {
        String read(Path path) throws IOException;
    }

    /** What to call the rules in messages. */
    public String source(String configSource) {
        return path.map(Path::toString).orElse(configSource + " (" + key + ".content)");
    }

    @Override
    public String toString() {
        return "SyncRulesConfig[" + path.map(p -> "path=" + p).orElse("inline") + ", " + content.length() + " chars]";
    }

    /**
     * Reads {@code sync_config}, or {@code sync_rules} when only that is given (as the PowerSync service
     * does); both at once is a problem, since it is unclear which one is meant.
     */
    static Optional<SyncRulesConfig> read(Section top, Path baseDir, TextFiles files) {
        boolean current = top.has(KEY); // always a known key; the alias only when it is used
        boolean legacy = top.present(LEGACY_KEY);
        if (current && legacy) {
            top.has(LEGACY_KEY); // known, so it is not also reported as an unknown key
            top.problem(LEGACY_KEY, "give either `" + KEY + "` or its deprecated alias `" + LEGACY_KEY
                    + "`, not both — rename `" + LEGACY_KEY + "` to `" + KEY + "` and keep one");
            return Optional.empty();
        }
        String key = legacy && !current ? LEGACY_KEY : KEY;
        Section s = top.section(key);
        Optional<SyncRulesConfig> out = read(s, key, baseDir, files);
        s.finish();
        return out;
    }

    private static Optional<SyncRulesConfig> read(Section s, String key, Path baseDir, TextFiles files) {
        Optional<String> path = s.string("path");
        Optional<String> content = s.string("content");
        if (path.isPresent() && content.isPresent()) {
            s.problem("content", "give either `path` or `content`, not both — remove one");
            return Optional.empty();
        }
        if (content.isPresent()) {
            return Optional.of(new SyncRulesConfig(Optional.empty(), content.get(), key));
        }
        if (path.isEmpty() || path.get().isBlank()) {
            s.problems.add(s.path(), s.position(), "sync rules are required — set `" + key + ".path: sync-rules.yaml`"
                    + " (relative to this file) or `" + key + ".content: |` with the rules inline");
            return Optional.empty();
        }
        Path file = baseDir.resolve(path.get()).normalize();
        try {
            return Optional.of(new SyncRulesConfig(Optional.of(file), files.read(file), key));
        } catch (NoSuchFileException e) {
            s.problem("path", "file " + file + " does not exist — paths are relative to the config file's directory");
        } catch (IOException e) {
            s.problem("path", "cannot read " + file + ": " + e);
        }
        return Optional.empty();
    }
}
