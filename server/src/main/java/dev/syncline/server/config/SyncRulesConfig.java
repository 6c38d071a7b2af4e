package dev.syncline.server.config;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The sync rules text, read at start. {@code path} is the file it came from, or empty when it was
 * written inline as {@code content}.
 */
public record SyncRulesConfig(Optional<Path> path, String content) {

    /** Reads files for the parser; tests pass a map, production passes {@code Files::readString}. */
    public interface TextFiles {
        String read(Path path) throws IOException;
    }

    /** What to call the rules in messages. */
    public String source(String configSource) {
        return path.map(Path::toString).orElse(configSource + " (sync_rules.content)");
    }

    @Override
    public String toString() {
        return "SyncRulesConfig[" + path.map(p -> "path=" + p).orElse("inline") + ", " + content.length() + " chars]";
    }

    static Optional<SyncRulesConfig> read(Section s, Path baseDir, TextFiles files) {
        Optional<String> path = s.string("path");
        Optional<String> content = s.string("content");
        if (path.isPresent() && content.isPresent()) {
            s.problem("content", "give either `path` or `content`, not both — remove one");
            return Optional.empty();
        }
        if (content.isPresent()) {
            return Optional.of(new SyncRulesConfig(Optional.empty(), content.get()));
        }
        if (path.isEmpty() || path.get().isBlank()) {
            s.problems.add(s.path(), s.position(), "sync rules are required — set `sync_rules.path: sync-rules.yaml`"
                    + " (relative to this file) or `sync_rules.content: |` with the rules inline");
            return Optional.empty();
        }
        Path file = baseDir.resolve(path.get()).normalize();
        try {
            return Optional.of(new SyncRulesConfig(Optional.of(file), files.read(file)));
        } catch (NoSuchFileException e) {
            s.problem("path", "file " + file + " does not exist — paths are relative to the config file's directory");
        } catch (IOException e) {
            s.problem("path", "cannot read " + file + ": " + e);
        }
        return Optional.empty();
    }
}
